"""Runs a snippet of Python against a PDC server through pdc-client's library.

Usage: python pdc_lib.py SERVER_ALIAS < snippet.py   (the snippet may be indented)

The snippet runs with these names defined:

* ``client``: ``pdc_client.PDCClient(SERVER_ALIAS)``, configured the way a user
  configures it: from ``~/.config/pdc/client_config.json`` (the caller points
  HOME at a directory holding that file);
* ``PDCClient``, ``NoResultsError``, ``BeanBagException``: to build other
  clients (another token, ``develop``, ``page_size``) and catch errors;
* ``SERVER``: the alias;
* ``emit(value)``: records a JSON value; the list of recorded values is printed
  as one JSON document on stdout when the snippet ends;
* ``error(fn)``: calls ``fn()``, which must raise ``BeanBagException`` (the
  library's error for a non-2xx answer), and returns
  ``{"status": code, "body": decoded JSON or text}``.

Any other exception ends the run with its traceback on stderr and exit code 1.
"""

import json
import sys
import textwrap

from beanbag import BeanBagException
from pdc_client import NoResultsError, PDCClient


def main():
    alias = sys.argv[1]
    snippet = textwrap.dedent(sys.stdin.read())
    emitted = []

    def emit(value):
        if hasattr(value, "__next__") or isinstance(value, (map, filter)):
            value = list(value)
        emitted.append(value)

    def error(fn):
        try:
            value = fn()
        except BeanBagException as e:
            resp = e.response
            if resp is None:
                raise
            try:
                body = resp.json()
            except ValueError:
                body = resp.text
            return {"status": resp.status_code, "body": body}
        raise AssertionError("expected an error response, got %r" % (value,))

    scope = {
        "client": PDCClient(alias),
        "PDCClient": PDCClient,
        "NoResultsError": NoResultsError,
        "BeanBagException": BeanBagException,
        "SERVER": alias,
        "emit": emit,
        "error": error,
    }
    try:
        exec(compile(snippet, "<snippet>", "exec"), scope)
    except BeanBagException as e:
        if e.response is not None:
            sys.stderr.write("unexpected answer %s %s: %s\n" % (
                e.response.status_code, e.response.request.url, e.response.text))
        raise
    json.dump(emitted, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
