#!/bin/sh
# Print the path of a Python 3.12+ interpreter, or explain and fail.
# Django 6 needs 3.12; on many machines the default python3 is older and pip would
# then silently install an older Django, so we never fall back to it.
for candidate in "$PYTHON" python3.14 python3.13 python3.12 python3 \
    "$HOME"/.pyenv/versions/3.1[2-9]*/bin/python3 /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9]; do
    [ -n "$candidate" ] || continue
    path=$(command -v "$candidate" 2>/dev/null) || continue
    if "$path" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then
        echo "$path"
        exit 0
    fi
done
echo "ccplatform needs Python 3.12 or newer (Django 6 requires it), and none was found." >&2
echo "Install python3.12 or python3.13, or point PYTHON=/path/to/python3.12 at one." >&2
exit 1
