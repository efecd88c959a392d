package image

import (
	"context"
	"io"
)

func (s *Store) load2(ctx context.Context, r io.Reader, opts LoadOptions) ([]string, error) {
	return nil, errTODO
}
func (s *Store) save(ctx context.Context, refs []string, w io.Writer, f SaveFormat) error {
	return errTODO
}
func (s *Store) importTar(ctx context.Context, r io.Reader, opts ImportOptions) (*Image, error) {
	return nil, errTODO
}
func (s *Store) pull(ctx context.Context, ref string, opts PullOptions) (*Image, error) {
	return nil, errTODO
}
func (s *Store) push(ctx context.Context, ref string, opts PushOptions) error { return errTODO }
