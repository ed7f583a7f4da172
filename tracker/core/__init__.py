"""What every concern stands on and none of them: database types, configuration, extensions, errors,
security headers, clock, cache, i18n, form helpers, concurrency and the scope.
"""
