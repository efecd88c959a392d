package engine

import (
	"os"

	"github.com/jinn-containers/jinn/internal/jsonlite"
)

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return jsonlite.Decode(b, v)
}
