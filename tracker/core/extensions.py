"""Extensions, created once and bound to an app in the factory."""

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from tracker.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Storage comes from RATELIMIT_STORAGE_URI: Redis lets several processes share the counters.
limiter = Limiter(key_func=get_remote_address)
# Settings from CACHE_URL (Redis) or CACHE_DIR (files), bound in tracker.core.cache.init_app.
cache = Cache()
