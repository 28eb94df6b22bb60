"""HQ's console: web pages for HQ and finance, served by the API process under ``/console``.

The pages are HTML from templates (``templates/``) with one script (``static/console.js``)
that reads and changes everything through the same ``/v1`` routes any key-holder calls;
the browser's console session stands in for the key (``services.access.sessions``).
"""
