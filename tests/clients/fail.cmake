# Fails a client test whose tool is missing, with the fix: cmake -DMESSAGE=... -P fail.cmake
message(FATAL_ERROR "FAIL (setup): ${MESSAGE}")
