# Copyright: flaskstack maintainers
# MIT License (see the collection's galaxy.yml)
"""The app environment the stack provides: database URLs and declared app secrets."""

from __future__ import annotations

import re
from urllib.parse import quote

from ansible.errors import AnsibleFilterError

# Names the platform sets itself (group_vars/role_app.yml, the flask_app role):
# an app cannot declare them as its own secrets.
PLATFORM_NAMES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "RELEASE_ID", "FLASK_APP", "PYTHONPATH")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
DRIVER = re.compile(r"^[a-z0-9_]*$")


def app_secret_name(env_name: str) -> str:
    """The stack's name of an app secret: app_<env name in lower case>.

    vault_<that> in a vault file, <flaskstack_ssm_prefix>/<that> in SSM.
    JWT_SECRET_KEY -> app_jwt_secret_key, STRIPE_KEY -> app_stripe_key.
    """
    return "app_" + env_name.lower()


def app_secret_map(names, extra=None, variable: str = "flaskstack_app_secrets") -> dict:
    """{secret name: env name} for the declared app secrets, in order, `extra` ones appended.

    Fails naming the variable and the fix for a name that is no environment
    variable name, one the platform sets, or two names that would share a secret.
    """
    declared = []
    for source, values in ((variable, names), ("flaskstack_app_signing_secrets", extra)):
        if values is None:
            continue
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__iter__"):
            raise AnsibleFilterError(f"{source} must be a list of environment variable names, "
                                     f"e.g. [STRIPE_KEY, MAIL_PASSWORD], not {type(values).__name__}")
        declared.extend((source, value) for value in values)
    result: dict[str, str] = {}
    for source, env_name in declared:
        if not isinstance(env_name, str) or not ENV_NAME.match(env_name):
            raise AnsibleFilterError(f"{source}: {env_name!r} is not an environment variable name "
                                     "(letters, digits and _, not starting with a digit), e.g. STRIPE_KEY")
        if env_name in PLATFORM_NAMES:
            raise AnsibleFilterError(f"{source}: {env_name} is set by the platform, not declared by the app: "
                                     f"remove it from {source} (README, 'Deploy your own app')")
        secret = app_secret_name(env_name)
        if secret in result and result[secret] != env_name:
            raise AnsibleFilterError(f"{source}: {result[secret]} and {env_name} would share the secret "
                                     f"{secret}: rename one of them")
        result[secret] = env_name
    return result


def postgres_url(user: str, password: str, host: str, port, database: str,
                 query: str = "", driver: str = "") -> str:
    """postgresql[+driver]://user:password@host:port/database[?query], user and password percent-encoded.

    Every reserved character of the password is encoded ('/' included, which
    Jinja's urlencode leaves alone and which would end the authority part).
    """
    if not DRIVER.match(driver or ""):
        raise AnsibleFilterError(f"flaskstack_db_url_driver: {driver!r} is not a SQLAlchemy driver name "
                                 "(e.g. psycopg, psycopg2, pg8000), or empty for the plain postgresql:// scheme")
    for name, value in (("user", user), ("host", host), ("database", database)):
        if not value:
            raise AnsibleFilterError(f"postgres_url: the {name} is empty")
    scheme = "postgresql+" + driver if driver else "postgresql"
    host_part = f"[{host}]" if ":" in str(host) else str(host)
    url = (f"{scheme}://{quote(str(user), safe='')}:{quote(str(password), safe='')}@{host_part}:{int(port)}/"
           f"{quote(str(database), safe='')}")
    return f"{url}?{query}" if query else url


class FilterModule:
    def filters(self):
        return {"app_secret_map": app_secret_map, "postgres_url": postgres_url}
