package cli

import (
	"strconv"

	digest "github.com/opencontainers/go-digest"

	"github.com/jinn-containers/jinn/internal/image"
)

func fmtInt(n int64) string { return strconv.FormatInt(n, 10) }

func chainOf(d []digest.Digest) string { return string(image.ChainID(d)) }
