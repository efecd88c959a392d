package cli

import (
	"errors"
	"io"
	"text/template"
)

// printInspect prints inspect documents with a --format template as
// docker's inspect commands do. Docker runs the template on its Go value
// and, where that fails, on the raw JSON; so both its Go field names
// ({{.ID}}) and its JSON names ({{.Id}}) work. jinn's documents have
// docker's JSON names, not always its Go types (networks are moby's API
// types, whose netip fields print otherwise than docker 28's strings), so
// the JSON comes first:
// a template that names a key the JSON lacks runs on the Go value, and
// if that fails too, on the JSON with missing keys printed as docker
// prints them ("<no value>").
func printInspect(w io.Writer, format string, docs []any) error {
	fm, err := newFormatter(w, format, nil)
	if err != nil {
		return err
	}
	strict, err := fm.tmpl.Clone()
	if err != nil {
		return err
	}
	strict.Option("missingkey=error")
	for _, d := range docs {
		if err := fm.inspectRow(strict, d); err != nil {
			return err
		}
	}
	fm.flush()
	return nil
}

func (f *formatter) inspectRow(strict *template.Template, doc any) error {
	m := jsonDoc(doc)
	b, err := f.out.render(strict, m)
	if err != nil && !errors.Is(err, errFormatTooLarge) {
		if b, err = f.out.render(f.tmpl, doc); err != nil && !errors.Is(err, errFormatTooLarge) {
			b, err = f.out.render(f.tmpl, m)
		}
	}
	if err != nil {
		return badFlag("template: %v", err)
	}
	_, err = f.w.Write(append(b, '\n'))
	return err
}
