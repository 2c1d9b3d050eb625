"""bookshelf: the reference Flask app deployed by flaskstack.deploy."""

from .factory import create_app

__all__ = ["create_app"]
__version__ = "1.0.0"
