# What `cmake --install` lays out under its prefix (docs/operations.md, "Installing the Debian package"):
#
#   bin/armorclaw-eventbus-host                      the stand-in bridge
#   lib/armorclaw/plugins/armorclaw-eventbus.so      the plugin, in a plugin directory a bridge points at
#   include/armorclaw/eventbus.h                     the C contract
#   share/pkgconfig/armorclaw-eventbus.pc            Cflags for the header, and the variable plugindir
#   share/doc/armorclaw-eventbus/                    README.md, docs/, examples/config.toml
#
# Tests, benchmarks and fuzzers have no install rule, so nothing of them is installed.
include(GNUInstallDirs)

# A private directory of the package rather than the multiarch library directory: the plugin is
# dlopen'ed by path, never linked against. Relative to the prefix.
set(ARMORCLAW_EVENTBUS_INSTALL_PLUGINDIR lib/armorclaw/plugins)

install(TARGETS armorclaw-eventbus LIBRARY DESTINATION ${ARMORCLAW_EVENTBUS_INSTALL_PLUGINDIR})
install(TARGETS armorclaw-eventbus-host RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Resolve every symbol at load and map the relocations read-only afterwards, as Debian's build flags do
# (lintian: hardening-no-bindnow). Link options only, on what is shipped.
foreach(_shipped armorclaw-eventbus armorclaw-eventbus-host)
  target_link_options(${_shipped} PRIVATE LINKER:-z,relro LINKER:-z,now)
endforeach()

# Installing stripped (--strip, or CPack) also drops the sections dh_strip drops: the compiler's
# version string and .note (lintian: binary-has-unneeded-section).
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    foreach(installed [[${CMAKE_INSTALL_BINDIR}/armorclaw-eventbus-host]]
                      [[${ARMORCLAW_EVENTBUS_INSTALL_PLUGINDIR}/armorclaw-eventbus.so]])
      execute_process(COMMAND [[${CMAKE_OBJCOPY}]] --remove-section=.comment --remove-section=.note
                              \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/\${installed}\"
                      COMMAND_ERROR_IS_FATAL ANY)
    endforeach()
  endif()
")
install(FILES ${PROJECT_SOURCE_DIR}/abi/include/armorclaw/eventbus.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/armorclaw)

# The installed host finds the installed plugin by this path relative to its own directory, so a tree
# installed under any prefix (or moved) works without --plugin.
file(RELATIVE_PATH _plugin_dir_from_host ${CMAKE_INSTALL_FULL_BINDIR}
     ${CMAKE_INSTALL_PREFIX}/${ARMORCLAW_EVENTBUS_INSTALL_PLUGINDIR})
target_compile_definitions(eventbus_host_lib PRIVATE
  ARMORCLAW_EVENTBUS_PLUGIN_DIR_FROM_HOST="${_plugin_dir_from_host}")

# The .pc file names the prefix it is installed under, known only at install time (`--prefix`, or CPack's
# /usr), so it is written then.
set(_pc_template ${PROJECT_SOURCE_DIR}/packaging/armorclaw-eventbus.pc.in)
set(_pc_file ${PROJECT_BINARY_DIR}/packaging/armorclaw-eventbus.pc)
install(CODE "
  set(ARMORCLAW_EVENTBUS_VERSION [[${PROJECT_VERSION}]])
  set(ARMORCLAW_EVENTBUS_INCLUDEDIR [[${CMAKE_INSTALL_INCLUDEDIR}]])
  set(ARMORCLAW_EVENTBUS_PLUGINDIR [[${ARMORCLAW_EVENTBUS_INSTALL_PLUGINDIR}]])
  configure_file([[${_pc_template}]] [[${_pc_file}]] @ONLY)
")
# Under share/: the file describes a header and a directory, no library, so it is the same on every
# architecture.
install(FILES ${_pc_file} DESTINATION ${CMAKE_INSTALL_DATADIR}/pkgconfig)

# The documentation keeps its layout (README.md beside docs/), so that its relative links still work.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs
        FILES_MATCHING PATTERN "*.md" PATTERN "*.png")
install(FILES ${PROJECT_SOURCE_DIR}/packaging/config.toml DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# The host's man page, written from its --help (one text, no second copy to keep in step). Run by name
# from its directory so that the page says "armorclaw-eventbus-host", not a build path.
find_program(HELP2MAN_EXECUTABLE help2man REQUIRED)
find_program(GZIP_EXECUTABLE gzip REQUIRED)
set(_man_page ${PROJECT_BINARY_DIR}/packaging/armorclaw-eventbus-host.1)
add_custom_command(
  OUTPUT ${_man_page}.gz
  COMMAND ${CMAKE_COMMAND} -E env "PATH=$<TARGET_FILE_DIR:armorclaw-eventbus-host>:$ENV{PATH}"
          ${HELP2MAN_EXECUTABLE} --no-info --section=1 --version-string=${PROJECT_VERSION}
          "--name=stand-in ArmorClaw bridge that serves Matrix events to WebSocket clients"
          --output=${_man_page} armorclaw-eventbus-host
  # -n: no name or time stamp in the gzip header, so that the page is the same on every build.
  COMMAND ${GZIP_EXECUTABLE} -9nf ${_man_page}
  DEPENDS armorclaw-eventbus-host
  COMMENT "Writing the man page of armorclaw-eventbus-host"
  VERBATIM)
add_custom_target(armorclaw-eventbus-host-man-page ALL DEPENDS ${_man_page}.gz)
install(FILES ${_man_page}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
