"""The HTTP server's limits, in one place with no Django in it: gunicorn's configuration sets
them (auctioneer/gunicorn_conf.py) and the API schema documents them (auctioneer/schema.py)."""

# The request line (method, path and query), in bytes: gunicorn's maximum (its default is
# 4094). A longer one is a 414.
REQUEST_LINE_MAX_BYTES = 8190
