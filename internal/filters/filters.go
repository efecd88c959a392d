// Package filters is docker's key=value filter list (--filter on the CLI,
// the filters parameter of the Engine API): values of one key are
// alternatives (name=a, name=b), except label=, where every one must
// hold, and label!=, where none may.
package filters

import "strings"

// Set maps a filter's key to its values; label!=k arrives as key "label!".
type Set map[string][]string

// Parse groups key=value specs by key, without checking the keys.
func Parse(specs []string) Set {
	s := Set{}
	for _, sp := range specs {
		k, v, _ := strings.Cut(sp, "=")
		s[k] = append(s[k], v)
	}
	return s
}

// Any is true if no value of k is given or one of them satisfies f.
func (s Set) Any(k string, f func(string) bool) bool {
	if len(s[k]) == 0 {
		return true
	}
	for _, v := range s[k] {
		if f(v) {
			return true
		}
	}
	return false
}

// Labels is label=k, label=k=v (all must hold) and label!=k, label!=k=v
// (none may hold) against l.
func (s Set) Labels(l map[string]string) bool {
	has := func(x string) bool {
		k, v, hasV := strings.Cut(x, "=")
		got, ok := l[k]
		return ok && (!hasV || got == v)
	}
	for _, x := range s["label"] {
		if !has(x) {
			return false
		}
	}
	for _, x := range s["label!"] {
		if has(x) {
			return false
		}
	}
	return true
}
