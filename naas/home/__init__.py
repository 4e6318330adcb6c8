from .health import bp as health_bp
from .views import bp

__all__ = ["bp", "health_bp"]
