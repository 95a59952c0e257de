#!/usr/bin/env bash
# Builds Dovecot's imaptest (MIT licensed, revision 924f619, the last that builds against
# Dovecot 2.3 as shipped by Debian 12) from the tarball beside this script.
#
#   .ci/imaptest/build.sh [DEST]      # default DEST: /tmp/imaptest
#
# Needs the Debian packages: dovecot-dev dovecot-core build-essential autoconf automake
# libtool pkg-config (dovecot-core has libdovecot.so, which the link needs; dovecot-dev
# alone has only the headers).
# Prints the binary's path last. Run it with LD_LIBRARY_PATH=/usr/lib/dovecot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-/tmp/imaptest}
if [[ -x $dest/src/imaptest ]]; then echo "$dest/src/imaptest"; exit 0; fi
rm -rf "$dest"; mkdir -p "$dest"
tar -xzf "$here/imaptest-924f619.tar.gz" -C "$dest"
cd "$dest"
# Debian's security update of dovecot 2.3 added a 4th argument (params) to imap_parser_create().
if grep -q 'const struct imap_parser_params \*params' /usr/include/dovecot/imap-parser.h 2>/dev/null; then
	sed -i 's/imap_parser_create(\(.*\), (size_t)-1);/imap_parser_create(\1, (size_t)-1, NULL);/' \
		src/commands.c src/imap-client.c src/test-parser.c
fi
VERSION=924f619 autoreconf -i >/dev/null 2>&1
VERSION=924f619 ./configure --with-dovecot=/usr/lib/dovecot >/dev/null
make -j"$(nproc)" >/dev/null
echo "$dest/src/imaptest"
