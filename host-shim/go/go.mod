module github.com/armorclaw/armorclaw-eventbus/host-shim/go

go 1.19
