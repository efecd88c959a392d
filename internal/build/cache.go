package build

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/jinn-containers/jinn/internal/atomicfile"
)

// Cache maps a step's key to the image the step produced. A key is a hash
// of the parent image ID (which covers all earlier steps and the config),
// the expanded instruction, and the checksum of any content it copies; the
// images themselves live in the store like any other, untagged, with the
// parent chain that keeps them from being pruned as dangling.
type Cache struct{ dir string }

// OpenCache opens the cache under the store root.
func OpenCache(root string) *Cache {
	return &Cache{dir: filepath.Join(root, "build", "cache")}
}

// Key hashes the parts of a step that decide its result.
func Key(parent string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(parent))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Get returns the image ID stored for key, or "".
func (c *Cache) Get(key string) string {
	b, err := os.ReadFile(filepath.Join(c.dir, key))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Put records key -> image ID atomically.
func (c *Cache) Put(key, id string) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("build cache: %w", err)
	}
	return atomicfile.WriteFileSync(filepath.Join(c.dir, key), []byte(id+"\n"), 0o600)
}

// Entries lists every key -> image ID.
func (c *Cache) Entries() (map[string]string, error) {
	ents, err := os.ReadDir(c.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("build cache: %w", err)
	}
	out := map[string]string{}
	for _, e := range ents {
		if id := c.Get(e.Name()); id != "" {
			out[e.Name()] = id
		}
	}
	return out, nil
}

// Drop forgets one key.
func (c *Cache) Drop(key string) error {
	err := os.Remove(filepath.Join(c.dir, key))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
