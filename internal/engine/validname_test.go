package engine

import (
	"regexp"
	"testing"
)

// validName is docker's name rule written as a scan; the regexp it
// replaced is the reference.
func TestValidName(t *testing.T) {
	re := regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
	for _, s := range []string{"", "a", "A9", "9", "_a", ".a", "-a", "a_b.c-d", "a b", "a/b", "a:b", "é", "a\x00", "web-1", "x..", "a\n"} {
		if got, want := validName(s), re.MatchString(s); got != want {
			t.Errorf("validName(%q) = %v, want %v", s, got, want)
		}
	}
}
