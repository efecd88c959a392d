package reference

import (
	"strings"

	"github.com/opencontainers/go-digest"
)

// The grammar, as distribution/reference writes it:
//
//	reference        := name [ ":" tag ] [ "@" digest ]
//	name             := [domain '/'] remote-name
//	domain           := host [':' port-number]
//	host             := domain-name | '[' [a-fA-F0-9:]+ ']'
//	domain-name      := domain-component ['.' domain-component]*
//	domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
//	port-number      := [0-9]+
//	remote-name      := path-component ['/' path-component]*
//	path-component   := [a-z0-9]+ [separator [a-z0-9]+]*
//	separator        := [_.] | '__' | [-]+
//	tag              := [\w][\w.-]{0,127}
//	digest           := algorithm ':' [0-9a-fA-F]{32,}
//	algorithm        := [A-Za-z][A-Za-z0-9]* ([-_+.][A-Za-z][A-Za-z0-9]*)*
//
// No part but the domain's port holds a ':', none an '@', and the domain
// is followed by a '/': the first '@' starts the digest, a ':' after the
// last '/' starts the tag, and a first component that is a valid domain is
// the domain (the regular expression's preference), else part of the path.

// split matches s against the grammar and cuts it into its parts.
func split(s string) (reference, bool) {
	var r reference
	left := s
	if i := strings.IndexByte(s, '@'); i >= 0 {
		if !isDigest(s[i+1:]) {
			return r, false
		}
		left, r.digest = s[:i], digest.Digest(s[i+1:])
	}
	if c := strings.LastIndexByte(left, ':'); c > strings.LastIndexByte(left, '/') {
		if !isTag(left[c+1:]) {
			return r, false
		}
		left, r.tag = left[:c], left[c+1:]
	}
	if first, rest, ok := strings.Cut(left, "/"); ok && isDomain(first) && isRemoteName(rest) {
		r.domain, r.path = first, rest
		return r, true
	}
	if !isRemoteName(left) {
		return r, false
	}
	r.path = left
	return r, true
}

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isAlnum(c byte) bool      { return isLowerAlnum(c) || c >= 'A' && c <= 'Z' }
func isWord(c byte) bool       { return isAlnum(c) || c == '_' }
func isHex(c byte) bool        { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isLetter(c byte) bool     { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isIdentifier: 64 lower-case hex digits, an image ID.
func isIdentifier(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(isDigit(c) || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

func isRemoteName(s string) bool {
	for {
		comp, rest, more := strings.Cut(s, "/")
		if !isPathComponent(comp) {
			return false
		}
		if !more {
			return true
		}
		s = rest
	}
}

// isPathComponent: runs of [a-z0-9] joined by '.', '_', '__' or dashes.
func isPathComponent(s string) bool {
	i := 0
	for {
		start := i
		for i < len(s) && isLowerAlnum(s[i]) {
			i++
		}
		if i == start {
			return false // empty, or two separators in a row
		}
		if i == len(s) {
			return true
		}
		switch s[i] {
		case '.':
			i++
		case '_':
			i++
			if i < len(s) && s[i] == '_' {
				i++
			}
		case '-':
			for i < len(s) && s[i] == '-' {
				i++
			}
		default:
			return false
		}
	}
}

// isDomain: a host name, an IPv4 address or a bracketed IPv6 address,
// with an optional port.
func isDomain(s string) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 2 {
			return false
		}
		for i := 1; i < end; i++ {
			if c := s[i]; !isHex(c) && c != ':' {
				return false
			}
		}
		host, port = "", s[end+1:]
	} else if i := strings.IndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i:]
	}
	if port != "" {
		if port[0] != ':' || len(port) == 1 {
			return false
		}
		for i := 1; i < len(port); i++ {
			if !isDigit(port[i]) {
				return false
			}
		}
	}
	if strings.HasPrefix(s, "[") {
		return true
	}
	for {
		comp, rest, more := strings.Cut(host, ".")
		if !isDomainComponent(comp) {
			return false
		}
		if !more {
			return true
		}
		host = rest
	}
}

func isDomainComponent(s string) bool {
	if s == "" || !isAlnum(s[0]) || !isAlnum(s[len(s)-1]) {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		if c := s[i]; !isAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

func isTag(s string) bool {
	if s == "" || len(s) > 128 || !isWord(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isWord(c) && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// isDigest matches the reference grammar's digest; digest.Parse then
// checks the algorithm and the length.
func isDigest(s string) bool {
	alg, hex, ok := strings.Cut(s, ":")
	if !ok || len(hex) < 32 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if !isHex(hex[i]) {
			return false
		}
	}
	for {
		if alg == "" || !isLetter(alg[0]) {
			return false
		}
		i := 1
		for i < len(alg) && (isLetter(alg[i]) || isDigit(alg[i])) {
			i++
		}
		if i == len(alg) {
			return true
		}
		switch alg[i] {
		case '-', '_', '+', '.':
			alg = alg[i+1:]
		default:
			return false
		}
	}
}
