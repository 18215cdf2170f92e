#!/bin/sh
# Runs scdoc (given as $1) from stdin to stdout, failing when scdoc fails,
# and restores a character scdoc refuses in a page name: the page written
# as "gicd-server_.service" is gicd-server@.service.
set -e
page=$("$1")
printf '%s\n' "$page" | sed '/^\.TH /s/^\.TH "gicd-server_\.service"/.TH "gicd-server@.service"/'
