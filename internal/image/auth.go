package image

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// DockerHubServer is the key docker uses for Docker Hub credentials.
const DockerHubServer = "https://index.docker.io/v1/"

// credentialKey normalises a server as docker's config.json keys it.
func credentialKey(server string) string {
	s := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(server, "https://"), "http://"), "/")
	switch s {
	case "", "docker.io", "index.docker.io", "registry-1.docker.io", "index.docker.io/v1":
		return DockerHubServer
	}
	return s
}

// CheckLogin verifies credentials against the registry's /v2/ endpoint
// (basic or token auth, as the registry asks).
func CheckLogin(ctx context.Context, server, user, password string, insecure bool) error {
	host := credentialKey(server)
	if host == DockerHubServer {
		host = name.DefaultRegistry
	}
	var opts []name.Option
	if insecure {
		opts = append(opts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, opts...)
	if err != nil {
		return fmt.Errorf("login: invalid server %q: %w", server, err)
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: user, Password: password})
	rt, err := transport.NewWithContext(ctx, reg, auth, http.DefaultTransport, []string{reg.Scope(transport.PullScope)})
	if err != nil {
		return fmt.Errorf("login to %s: %w", host, err)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return fmt.Errorf("login to %s: %w", host, err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fmt.Errorf("login to %s: unauthorized: incorrect username or password", host)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("login to %s: registry answered %s", host, resp.Status)
	}
	return nil
}

// SaveCredentials stores credentials in ~/.docker/config.json (or
// $DOCKER_CONFIG), in docker's format, or its credential helper.
func SaveCredentials(server, user, password string) (string, error) {
	cf, err := config.Load(config.Dir())
	if err != nil {
		return "", fmt.Errorf("read docker config: %w", err)
	}
	key := credentialKey(server)
	if err := cf.GetCredentialsStore(key).Store(types.AuthConfig{ServerAddress: key, Username: user, Password: password}); err != nil {
		return "", fmt.Errorf("store credentials: %w", err)
	}
	if err := cf.Save(); err != nil {
		return "", fmt.Errorf("write %s: %w", cf.Filename, err)
	}
	return cf.Filename, nil
}

// RemoveCredentials forgets the credentials of server; false if none.
func RemoveCredentials(server string) (bool, error) {
	cf, err := config.Load(config.Dir())
	if err != nil {
		return false, fmt.Errorf("read docker config: %w", err)
	}
	key := credentialKey(server)
	if _, ok := cf.AuthConfigs[key]; !ok {
		return false, nil
	}
	if err := cf.GetCredentialsStore(key).Erase(key); err != nil {
		return false, err
	}
	return true, cf.Save()
}
