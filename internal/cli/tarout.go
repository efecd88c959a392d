package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// writeArchive runs write against -o's file, or stdout when output is
// empty. A file is written beside its target and renamed into place, so a
// failure leaves no half-written archive; stdout that is a terminal is
// refused, as docker does.
func writeArchive(stdout io.Writer, output, what string, write func(io.Writer) error) error {
	if output == "" {
		if f, ok := stdout.(*os.File); ok {
			if _, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); err == nil {
				return errors.New("cowardly refusing to save to a terminal. Use the -o flag or redirect")
			}
		}
		return write(stdout)
	}
	tmp, err := os.CreateTemp(filepath.Dir(output), ".jinn-"+what+"-")
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if err := os.Rename(tmp.Name(), output); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
