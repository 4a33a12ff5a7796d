module github.com/armorclaw/armorclaw-eventbus/tests/clients/gorilla_client

go 1.19

require github.com/gorilla/websocket v1.5.0

// Debian's golang-github-gorilla-websocket-dev: nothing is downloaded.
replace github.com/gorilla/websocket => /usr/share/gocode/src/github.com/gorilla/websocket
