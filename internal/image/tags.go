package image

import (
	"context"
	"fmt"
	"sort"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/jinn-containers/jinn/internal/image/reference"
)

// RepoName is a reference with neither tag nor digest, as pull/push
// --all-tags take it: its repository's full name.
func RepoName(ref string) (string, error) {
	n, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("invalid reference format: %w", err)
	}
	if _, tagged := n.(reference.Tagged); tagged {
		return "", fmt.Errorf("tag can't be used with --all-tags/-a")
	}
	if _, digested := n.(reference.Digested); digested {
		return "", fmt.Errorf("digest can't be used with --all-tags/-a")
	}
	return n.Name(), nil
}

// RemoteTags lists the tags of repository repo (RepoName's) in its
// registry.
func (s *Store) RemoteTags(ctx context.Context, repo string, insecure bool) ([]string, error) {
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	r, err := name.NewRepository(repo, opts...)
	if err != nil {
		return nil, fmt.Errorf("invalid repository %q: %w", repo, err)
	}
	tags, err := remote.List(r, remote.WithContext(ctx), remote.WithAuthFromKeychain(keychain(nil)))
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", repo, err)
	}
	sort.Strings(tags)
	return tags, nil
}

// LocalTags are the references of the local images tagged in repository
// repo (RepoName's), sorted.
func (s *Store) LocalTags(repo string) ([]string, error) {
	imgs, err := s.List()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, img := range imgs {
		for _, t := range img.RepoTags {
			n, err := reference.ParseNormalizedNamed(t)
			if err != nil || n.Name() != repo {
				continue
			}
			out = append(out, n.String())
		}
	}
	sort.Strings(out)
	return out, nil
}
