# make deb: the Debian packages (debian/), built by dpkg-buildpackage from a
# copy of the tree and checked by lintian; they land in build-deb.
.PHONY: deb
deb:
	@scripts/deb.sh build-deb
