// Package reference parses docker image references
// ([domain[:port]/]path[:tag][@digest]) and normalises them as docker does
// ("busybox" is docker.io/library/busybox). It is the subset of
// github.com/distribution/reference that jinn uses, with the same grammar,
// results and error messages (a differential fuzz test holds it to that
// package), written as a scanner: distribution/reference compiles its ten
// regular expressions at package initialisation, ~0.6 ms and 414 KB in
// every start of jinn, whatever the command.
package reference

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

const (
	// nameTotalLengthMax bounds a repository's path (without its domain).
	nameTotalLengthMax  = 255
	defaultDomain       = "docker.io"
	legacyDefaultDomain = "index.docker.io"
	officialRepoPrefix  = "library/"
	localhost           = "localhost"
	defaultTag          = "latest"
)

// The errors distribution/reference returns, with its wording.
var (
	ErrReferenceInvalidFormat = errors.New("invalid reference format")
	ErrNameContainsUppercase  = errors.New("repository name must be lowercase")
	ErrNameEmpty              = errors.New("repository name must have at least one component")
	ErrNameTooLong            = fmt.Errorf("repository name must not be more than %v characters", nameTotalLengthMax)
	errTagInvalidFormat       = errors.New("invalid tag format")
)

// Reference is any parsed reference.
type Reference interface{ String() string }

// Named is a reference with a repository name.
type Named interface {
	Reference
	Name() string
}

// Tagged is a reference with a tag.
type Tagged interface {
	Reference
	Tag() string
}

// Digested is a reference with a digest.
type Digested interface {
	Reference
	Digest() digest.Digest
}

// namedRepository is what every Named of this package is.
type namedRepository interface {
	Named
	Domain() string
	Path() string
	familiar() Named
}

// ParseNormalizedNamed parses s as docker's command line does: a familiar
// name ("busybox", "me/app:1") gets docker.io and, for a single
// component, library/.
func ParseNormalizedNamed(s string) (Named, error) {
	if isIdentifier(s) {
		return nil, fmt.Errorf("invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s)
	}
	domain, remainder := splitDockerDomain(s)
	remote := remainder
	if i := strings.IndexByte(remainder, ':'); i >= 0 {
		remote = remainder[:i]
	}
	if strings.ToLower(remote) != remote {
		return nil, fmt.Errorf("invalid reference format: repository name (%s) must be lowercase", remote)
	}
	return parse(domain + "/" + remainder)
}

// parse is distribution/reference's Parse for a string whose name part is
// not empty (the only kind ParseNormalizedNamed makes).
func parse(s string) (Named, error) {
	r, ok := split(s)
	if !ok {
		if s == "" {
			return nil, ErrNameEmpty
		}
		if _, ok := split(strings.ToLower(s)); ok {
			return nil, ErrNameContainsUppercase
		}
		return nil, ErrReferenceInvalidFormat
	}
	if len(r.path) > nameTotalLengthMax {
		return nil, ErrNameTooLong
	}
	if r.digest != "" {
		if _, err := digest.Parse(string(r.digest)); err != nil {
			return nil, err
		}
	}
	return best(r), nil
}

// best is the narrowest type for r, as distribution/reference returns.
func best(r reference) Named {
	switch {
	case r.tag == "" && r.digest == "":
		return r.repository
	case r.tag == "":
		return canonicalReference{r.repository, r.digest}
	case r.digest == "":
		return taggedReference{r.repository, r.tag}
	}
	return r
}

// splitDockerDomain splits a familiar name into its domain and the rest,
// distribution/reference's rules: the first component is a domain if it
// is localhost or has a '.', a ':' or an upper-case letter.
func splitDockerDomain(name string) (domain, remote string) {
	first, rest, ok := strings.Cut(name, "/")
	if !ok {
		return defaultDomain, officialRepoPrefix + name
	}
	switch {
	case first == localhost:
		domain, remote = first, rest
	case first == legacyDefaultDomain:
		domain, remote = defaultDomain, rest
	case strings.ContainsAny(first, ".:"), strings.ToLower(first) != first:
		domain, remote = first, rest
	default:
		domain, remote = defaultDomain, name
	}
	if domain == defaultDomain && !strings.ContainsRune(remote, '/') {
		remote = officialRepoPrefix + remote
	}
	return domain, remote
}

// TagNameOnly adds the tag "latest" to a reference with neither tag nor
// digest.
func TagNameOnly(n Named) Named {
	if r, ok := n.(repository); ok {
		return taggedReference{r, defaultTag}
	}
	return n
}

// TrimNamed is n's repository, without tag or digest.
func TrimNamed(n Named) Named {
	if r, ok := n.(namedRepository); ok {
		return repository{r.Domain(), r.Path()}
	}
	return n
}

// FamiliarName is n's name as docker prints it ("busybox", "me/app").
func FamiliarName(n Named) string {
	if r, ok := n.(namedRepository); ok {
		return r.familiar().Name()
	}
	return n.Name()
}

// FamiliarString is n as docker prints it ("busybox:latest").
func FamiliarString(n Named) string {
	if r, ok := n.(namedRepository); ok {
		return r.familiar().String()
	}
	return n.String()
}

type repository struct{ domain, path string }

func (r repository) String() string { return r.Name() }
func (r repository) Domain() string { return r.domain }
func (r repository) Path() string   { return r.path }
func (r repository) Name() string {
	if r.domain == "" {
		return r.path
	}
	return r.domain + "/" + r.path
}

// familiar drops docker.io, and library/ before a single component.
func (r repository) familiar() Named { return r.short() }

func (r repository) short() repository {
	if r.domain != defaultDomain {
		return r
	}
	r.domain = ""
	if rest, ok := strings.CutPrefix(r.path, officialRepoPrefix); ok && !strings.ContainsRune(rest, '/') {
		r.path = rest
	}
	return r
}

type taggedReference struct {
	repository
	tag string
}

func (t taggedReference) String() string  { return t.Name() + ":" + t.tag }
func (t taggedReference) Tag() string     { return t.tag }
func (t taggedReference) familiar() Named { return taggedReference{t.short(), t.tag} }

type canonicalReference struct {
	repository
	digest digest.Digest
}

func (c canonicalReference) String() string        { return c.Name() + "@" + c.digest.String() }
func (c canonicalReference) Digest() digest.Digest { return c.digest }
func (c canonicalReference) familiar() Named {
	return canonicalReference{c.short(), c.digest}
}

type reference struct {
	repository
	tag    string
	digest digest.Digest
}

func (r reference) String() string        { return r.Name() + ":" + r.tag + "@" + r.digest.String() }
func (r reference) Tag() string           { return r.tag }
func (r reference) Digest() digest.Digest { return r.digest }
func (r reference) familiar() Named       { return reference{r.short(), r.tag, r.digest} }
