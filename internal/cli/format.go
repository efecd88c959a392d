package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/jinn-containers/jinn/internal/engine"
)

// printRows writes rows with a docker-style --format: "" or "table" (the
// default table), "table TEMPLATE", "json" (one docker JSON object per
// row), or a bare Go template (one line per row, no header).
func printRows[T any](w io.Writer, format, defaultTable string, rows []T) error {
	return printRowsTitled(w, format, defaultTable, columnTitles, rows)
}

// printRowsTitled is printRows with the command's own column titles.
func printRowsTitled[T any](w io.Writer, format, defaultTable string, titles map[string]string, rows []T) error {
	fm, err := newFormatter(w, normalFormat(format, defaultTable), headerFromTemplate(titles))
	if err != nil {
		return err
	}
	for _, r := range rows {
		if err := fm.row(r); err != nil {
			return err
		}
	}
	fm.flush()
	return nil
}

// normalFormat resolves docker's shorthands: "" and "table" are the
// command's default table, "json" is {{json .}}.
func normalFormat(format, def string) string {
	switch strings.TrimSpace(format) {
	case "", "table":
		if def != "" {
			return def
		}
		return format
	case "json":
		return "{{json .}}"
	}
	return format
}

// marshalRow is docker's JSON of a listing row (`--format json`,
// `{{json .}}`): every exported field and every exported method that
// takes no argument and returns one value, by name. Docker builds the
// same object from its formatting contexts' methods.
func marshalRow(x any) ([]byte, error) {
	v := reflect.ValueOf(x)
	m := map[string]any{}
	t := v.Type()
	for i := 0; i < t.NumMethod(); i++ {
		meth := t.Method(i)
		if meth.Name == "MarshalJSON" || !unicode.IsUpper(rune(meth.Name[0])) {
			continue
		}
		if meth.Type.NumIn() != 1 || meth.Type.NumOut() != 1 {
			continue
		}
		m[meth.Name] = v.Method(i).Call(nil)[0].Interface()
	}
	if t.Kind() == reflect.Struct {
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() {
				m[f.Name] = v.Field(i).Interface()
			}
		}
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(m)
	return bytes.TrimSpace(b.Bytes()), err
}

// jsonDoc turns a document into what docker's templates see: its JSON
// shape (docker's field names), with whole numbers as integers so
// {{.HostConfig.Memory}} prints 500000000, not 5e+08, and `eq .X 0` works.
func jsonDoc(d any) any {
	b, _ := json.Marshal(d)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m any
	dec.Decode(&m)
	return intNumbers(m)
}

func intNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = intNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = intNumbers(e)
		}
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// columnTitles are docker's column titles of the image and df fields.
var columnTitles = map[string]string{
	"ID": "IMAGE ID", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "CreatedBy": "CREATED BY",
	"Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST", "Size": "SIZE", "Comment": "COMMENT",
	"Type": "TYPE", "TotalCount": "TOTAL", "Active": "ACTIVE", "Reclaimable": "RECLAIMABLE",
	"SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE", "Containers": "CONTAINERS",
	"VirtualSize": "VIRTUAL SIZE",
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// labelString is docker's Labels column: k=v joined by commas, sorted
// so scripts see a stable order.
func labelString(l map[string]string) string {
	s := make([]string, 0, len(l))
	for k, v := range l {
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

// humanSize is docker's decimal size ("4.26MB").
func humanSize(n int64) string {
	units := []string{"B", "kB", "MB", "GB", "TB", "PB"}
	f := float64(n)
	i := 0
	for f >= 1000 && i < len(units)-1 {
		f /= 1000
		i++
	}
	s := fmt.Sprintf("%.3g", f)
	if strings.Contains(s, "e") {
		s = fmt.Sprintf("%.0f", f)
	}
	return s + units[i]
}

func since(t time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	return engine.HumanDuration(time.Since(t)) + " ago"
}

// docker's --format help of listings (formatHelpTable) and of inspect-like
// commands (formatHelpJSON), word for word: jinn's templates are docker's.
const (
	formatHelpHead  = "Format output using a custom template:\n"
	formatHelpTable = formatHelpHead +
		"'table':            Print output in table format with column headers (default)\n" +
		"'table TEMPLATE':   Print output in table format using the given Go template\n" + formatHelpTail
	formatHelpJSON = formatHelpHead + formatHelpTail
	formatHelpTail = "'json':             Print in JSON format\n" +
		"'TEMPLATE':         Print output using the given Go template.\n" +
		"Refer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates"
)
