/* A form marked data-autosubmit sends itself when one of its drop-downs changes: choosing a year
   needs no extra click. Without this script the form's own button still sends it. */
(function () {
  "use strict";
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.querySelectorAll("[data-autosubmit-button]").forEach(function (button) {
      button.hidden = true;
    });
    form.querySelectorAll("select").forEach(function (select) {
      select.addEventListener("change", function () {
        if (typeof form.requestSubmit === "function") {
          form.requestSubmit();
        } else {
          form.submit();
        }
      });
    });
  });
})();
