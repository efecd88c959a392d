package build

import (
	"github.com/jinn-containers/jinn/internal/image"
)

// Prune clears the build cache: every cache entry goes, and so do the
// images only the cache kept (untagged, no child left, no container using
// them); their layers are then collected. Tagged images stay.
func Prune(store *image.Store, root string) (int, int64, error) {
	c := OpenCache(root)
	ents, err := c.Entries()
	if err != nil {
		return 0, 0, err
	}
	cached := map[string]bool{}
	for k, id := range ents {
		cached[id] = true
		if err := c.Drop(k); err != nil {
			return 0, 0, err
		}
	}
	imgs, err := store.List()
	if err != nil {
		return 0, 0, err
	}
	children := map[string]int{}
	byID := map[string]*image.Image{}
	for _, img := range imgs {
		byID[img.ID.String()] = img
		if img.Parent != "" {
			children[img.Parent.String()]++
		}
	}
	n := len(ents)
	// Leaves first, so a removed child frees its parent in the next round.
	for changed := true; changed; {
		changed = false
		for id := range cached {
			img := byID[id]
			if img == nil || len(img.RepoTags) > 0 || children[id] > 0 {
				continue
			}
			if _, err := store.Delete(id, image.DeleteOptions{NoPrune: true}); err != nil {
				delete(cached, id) // in use or gone: leave it
				continue
			}
			delete(cached, id)
			if img.Parent != "" {
				children[img.Parent.String()]--
			}
			changed = true
		}
	}
	res, err := store.GC()
	if err != nil {
		return n, 0, err
	}
	return n, res.Bytes, nil
}
