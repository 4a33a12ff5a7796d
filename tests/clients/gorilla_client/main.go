// gorilla_client: the Go gorilla/websocket client with EnableCompression, for clients.go_gorilla_compression
// (test_go_gorilla_compression.py runs it). Connects to the URL given as its first argument (wss:// with
// the CA certificate file given as the second, which it then trusts alone), prints the 101's
// Sec-WebSocket-Extensions on the first line of its standard output, subscribes with the empty filter,
// then prints every message it receives, one per line, until the server closes the connection. A
// compressed frame it could not inflate ends it with an error on standard error and exit status 1.
package main

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/gorilla/websocket"
)

func main() {
	if len(os.Args) != 2 && len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gorilla_client ws://HOST:PORT/events | gorilla_client wss://HOST:PORT/events CA.pem")
		os.Exit(2)
	}
	dialer := websocket.Dialer{EnableCompression: true, HandshakeTimeout: 20 * time.Second}
	if len(os.Args) == 3 {
		pem, err := os.ReadFile(os.Args[2])
		if err != nil {
			fmt.Fprintln(os.Stderr, "CA certificate:", err)
			os.Exit(2)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			fmt.Fprintln(os.Stderr, "CA certificate: no certificate in", os.Args[2])
			os.Exit(2)
		}
		dialer.TLSClientConfig = &tls.Config{RootCAs: roots}
	}
	conn, response, err := dialer.Dial(os.Args[1], nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dial:", err)
		os.Exit(1)
	}
	defer conn.Close()
	fmt.Println(response.Header.Get("Sec-WebSocket-Extensions"))
	// gorilla compresses what it sends once negotiated: the server inflates this subscribe.
	conn.EnableWriteCompression(true)
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"type":"subscribe","data":{"filter":{}}}`)); err != nil {
		fmt.Fprintln(os.Stderr, "subscribe:", err)
		os.Exit(1)
	}
	for {
		kind, message, err := conn.ReadMessage()
		if websocket.IsCloseError(err, websocket.CloseGoingAway, websocket.CloseNormalClosure) {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "read:", err)
			os.Exit(1)
		}
		if kind != websocket.TextMessage {
			fmt.Fprintln(os.Stderr, "a message that is not text")
			os.Exit(1)
		}
		fmt.Println(string(message))
	}
}
