# Read by the flask CLI (and by flask_app for FLASK_APP).
FLASK_APP=jobs.web:create_app()
