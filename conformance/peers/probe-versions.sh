# Run by the interop matrix inside each peer image (sh -ec): prints TOOL=VERSION lines, an empty
# version when a tool is missing. Scenario "requires" entries compare against these versions.
first_version() { sed -n "s/$1/\\1/p" | head -n1; }
echo "qemu=$(qemu-img --version 2>/dev/null | first_version '^qemu-img version \([0-9][0-9.]*\).*')"
echo "libnbd=$(nbdinfo --version 2>/dev/null | first_version '^libnbd \([0-9][0-9.]*\).*')"
echo "nbdkit=$(nbdkit --version 2>/dev/null | first_version '^nbdkit \([0-9][0-9.]*\).*')"
echo "nbd-client=$(nbd-client -V 2>&1 | first_version '.*from nbd \([0-9][0-9.]*\).*')"
echo "python3-libnbd=$(python3 -c 'import nbd; print(nbd.NBD().get_version())' 2>/dev/null || true)"
