package eventbus

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var (
	docGoBlock    = regexp.MustCompile("(?s)```go\n(.*?)```")
	exampleRegion = regexp.MustCompile(`(?s)// doc:begin (\w+)\n(.*?)// doc:end`)
)

// docs/bridge-integration.md shows exactly the code of example_bridge_test.go, which go test and
// go vet compile: every ```go block of the doc is one of the file's regions, and every region is in
// the doc.
func TestBridgeIntegrationDocShowsTheCompiledExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "bridge-integration.md"))
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("example_bridge_test.go")
	if err != nil {
		t.Fatal(err)
	}
	regions := map[string]string{}
	for _, match := range exampleRegion.FindAllStringSubmatch(string(example), -1) {
		regions[strings.TrimSpace(match[2])] = match[1]
	}
	if len(regions) == 0 {
		t.Fatal("example_bridge_test.go has no doc:begin regions")
	}
	shown := map[string]bool{}
	for _, match := range docGoBlock.FindAllStringSubmatch(string(doc), -1) {
		block := strings.TrimSpace(match[1])
		name, ok := regions[block]
		if !ok {
			t.Errorf("a go block of bridge-integration.md is not a region of example_bridge_test.go:\n%s", block)
			continue
		}
		shown[name] = true
	}
	for _, name := range regions {
		if !shown[name] {
			t.Errorf("region %q of example_bridge_test.go is not shown in bridge-integration.md", name)
		}
	}
}
