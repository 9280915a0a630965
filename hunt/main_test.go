package hunt

import (
	"os"
	"testing"
)

// TestMain closes the session database after the tests, which deletes its directory.
func TestMain(m *testing.M) {
	code := m.Run()
	closeSession()
	os.Exit(code)
}
