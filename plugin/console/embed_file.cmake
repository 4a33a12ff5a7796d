# Writes a C++ source defining `std::string_view FUNCTION()` that returns the bytes of INPUT, so that a
# file ships inside the plugin with nothing to read at run time. Run at build time:
#   cmake -DINPUT=page.html -DOUTPUT=page_html.cc -DHEADER=plugin/console/x.h -DFUNCTION=Name -P embed_file.cmake
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by embed_file.cmake: do not edit.\n"
  "#include \"${HEADER}\"\n\n"
  "namespace armorclaw::eventbus {\n"
  "namespace {\nconstexpr char kBytes[] = {${bytes}};\n}  // namespace\n\n"
  "std::string_view ${FUNCTION}() { return {kBytes, sizeof kBytes}; }\n\n"
  "}  // namespace armorclaw::eventbus\n")
