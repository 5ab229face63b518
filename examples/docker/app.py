"""The application baked into Dockerfile.python: a few HTTPS requests
without a Session, each on a new connection with a new SSLContext.

    python3 app.py [URL ...]
"""

import sys

import requests

URLS = sys.argv[1:] or ["https://pypi.org/simple/", "https://www.python.org/"]

for url in URLS:
    r = requests.get(url, timeout=30, headers={"Connection": "close"})
    print(r.status_code, url)
