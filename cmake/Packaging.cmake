# The Debian package armorclaw-eventbus: `cpack -G DEB` in a build directory (docs/operations.md,
# "Installing the Debian package"). It holds what cmake/Install.cmake installs, under /usr, plus the
# copyright file and changelog Debian requires. tests/package builds, lints, installs and removes it.

# Debian's own files for /usr/share/doc/armorclaw-eventbus. The version is native (no Debian revision), so
# the changelog is changelog.gz; its one entry is generated with the project's version, dated at configure
# time (SOURCE_DATE_EPOCH, when set, makes that date reproducible).
string(TIMESTAMP ARMORCLAW_EVENTBUS_CHANGELOG_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
set(ARMORCLAW_EVENTBUS_MAINTAINER "ArmorClaw eventbus maintainers <maintainers@users.noreply.r-seed-3224307a.example>"
    CACHE STRING "Maintainer field of the Debian package and its changelog")
set(_changelog ${PROJECT_BINARY_DIR}/packaging/changelog)
configure_file(${PROJECT_SOURCE_DIR}/packaging/changelog.in ${_changelog} @ONLY)
# -n: no name or time stamp in the gzip header (lintian: package-contains-timestamped-gzip).
execute_process(COMMAND ${GZIP_EXECUTABLE} -9nf ${_changelog} COMMAND_ERROR_IS_FATAL ANY)
install(FILES ${_changelog}.gz ${PROJECT_SOURCE_DIR}/packaging/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME armorclaw-eventbus)
# CPACK_PACKAGE_VERSION defaults to project(VERSION), the one place the version is written.
set(CPACK_PACKAGE_CONTACT "${ARMORCLAW_EVENTBUS_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Matrix event bus plugin of the ArmorClaw bridge, over WebSocket")
# CPack writes each line as one line of the control file's description, so the text is wrapped here.
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
  "The ArmorClaw bridge loads the plugin armorclaw-eventbus.so through a C ABI and"
  "hands it every Matrix event it receives; the plugin pushes those events,"
  "filtered by room, sender and event type and in real time, to WebSocket"
  "clients such as AI agents, dashboards and scripts. Bearer tokens or HS256"
  "JWTs, an Origin allow-list, TLS and scrubbing of personal data are built in."
  "."
  "The package also holds armorclaw-eventbus-host, a stand-in bridge that loads"
  "the plugin and feeds it events from a file, standard input or a demo feed;"
  "the C header with its pkg-config file; an example configuration; and the"
  "documentation.")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# Runtime dependencies from the ELF files themselves (dpkg-shlibdeps, Debian dpkg-dev).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# The files are installed with DESTDIR, so that install-time code (the .pc file) sees the real prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# Debian ships stripped binaries (lintian: unstripped-binary-or-object); it also makes cpack much faster
# than packaging a RelWithDebInfo build's debug information.
set(CPACK_STRIP_FILES ON)
# Control files with the permissions lintian expects (0644, scripts 0755).
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

include(CPack)
