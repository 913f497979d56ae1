"""The connector's HTTP endpoints, one module per kind of caller (connector/urls.py names them all):

- ``docserver``: what the Document Server calls, without a session: the file download, the callback (saves and who
  is editing), the connection check's file and a version's changes (the gate: ``access.from_docserver``);
- ``editor``: the editor page, for people;
- ``events``: JSON the editor page's scripts call for the editor's events (save a copy, rename, images, mentions);
- ``history``: JSON for the editor's version history (list, a version's links, restore);
- ``presence``: JSON for the editor page's "Also editing" bar;
- ``sessions``: "Save a version now" and "End editing session" from a file's menu;
- ``newdocs``: a space's "New document" page;
- ``conversion``: "Convert" and "Download as", their progress and result;
- ``saves``: Retry of a failed save;
- ``settings``: the ONLYOFFICE settings page, for staff;
- ``watermarks``: a space's "Watermark" settings, a section of its settings page, for its admins;
- ``desktop_editors``: what ONLYOFFICE Desktop Editors reach to connect: the status they check, the landing page.

Views are short: they check who asks (connector/access.py), read the input, call one service and answer. Only
connector/docserver.py talks HTTP to the Document Server.
"""
