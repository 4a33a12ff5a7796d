// The one translation unit that compiles Asio, Beast and Boost.JSON (BOOST_*_SEPARATE_COMPILATION):
// a 2-core build compiles them once instead of in every file, and Debian's static libboost_json is not
// position-independent, so it cannot go into the plugin.
#include "boost/asio/impl/src.hpp"
#include "boost/asio/ssl/impl/src.hpp"
#include "boost/beast/src.hpp"
#include "boost/json/src.hpp"
