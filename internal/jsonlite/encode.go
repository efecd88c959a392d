package jsonlite

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/jinn-containers/jinn/internal/jsonstr"
)

// Encode is json.Marshal, by this package where it can: the same bytes.
// encoding/json builds the encoders of a type's whole graph at its first
// Marshal (~0.5-0.75 ms for the OCI spec, ~0.3 for an engine's container
// record, in a CLI that lives a few tens of milliseconds); this encoder
// looks only at the types the value reaches, and hands anything it does
// not know exactly (floats, []byte, TextMarshalers, omitzero, a name twice
// at one depth, cycles) to encoding/json.
func Encode(v any) ([]byte, error) {
	if b, ok := Marshal(v); ok {
		return b, nil
	}
	return json.Marshal(v)
}

// Marshal encodes v as json.Marshal does; false: use encoding/json.
func Marshal(v any) ([]byte, bool) {
	e := encoder{buf: make([]byte, 0, 2048)}
	if !e.value(reflect.ValueOf(v), 0) {
		return nil, false
	}
	return e.buf, true
}

type encoder struct{ buf []byte }

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	numberType        = reflect.TypeFor[json.Number]()
)

func (e *encoder) value(v reflect.Value, depth int) bool {
	if depth > maxDepth {
		return false // a cycle, perhaps: encoding/json's error
	}
	if !v.IsValid() {
		e.buf = append(e.buf, "null"...)
		return true
	}
	t := v.Type()
	if t.Implements(marshalerType) {
		return e.marshaler(v)
	}
	if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface &&
		(reflect.PointerTo(t).Implements(marshalerType) || reflect.PointerTo(t).Implements(textMarshalerType)) ||
		t.Implements(textMarshalerType) || t == numberType {
		return false
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return true
		}
		return e.value(v.Elem(), depth+1)
	case reflect.Struct:
		return e.object(v, depth)
	case reflect.Map:
		return e.mapValue(v, depth)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return false // base64
		}
		if v.IsNil() {
			e.buf = append(e.buf, "null"...)
			return true
		}
		return e.array(v, depth)
	case reflect.Array:
		return e.array(v, depth)
	case reflect.String:
		e.buf = appendString(e.buf, v.String())
	case reflect.Bool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf = strconv.AppendUint(e.buf, v.Uint(), 10)
	default:
		return false // floats, complex, channels, functions
	}
	return true
}

// marshaler writes what v's MarshalJSON returns, compacted and with HTML
// characters escaped, as encoding/json does.
func (e *encoder) marshaler(v reflect.Value) bool {
	if v.Kind() == reflect.Pointer && v.IsNil() {
		e.buf = append(e.buf, "null"...)
		return true
	}
	if v.Kind() == reflect.Interface {
		return false
	}
	b, err := v.Interface().(json.Marshaler).MarshalJSON()
	if err != nil {
		return false
	}
	var c bytes.Buffer
	if json.Compact(&c, b) != nil {
		return false
	}
	out := bytes.NewBuffer(e.buf)
	json.HTMLEscape(out, c.Bytes())
	e.buf = out.Bytes()
	return true
}

func (e *encoder) array(v reflect.Value, depth int) bool {
	e.buf = append(e.buf, '[')
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		if !e.value(v.Index(i), depth+1) {
			return false
		}
	}
	e.buf = append(e.buf, ']')
	return true
}

func (e *encoder) mapValue(v reflect.Value, depth int) bool {
	if v.Type().Key().Kind() != reflect.String {
		return false
	}
	if v.IsNil() {
		e.buf = append(e.buf, "null"...)
		return true
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(appendString(e.buf, k.String()), ':')
		if !e.value(v.MapIndex(k), depth+1) {
			return false
		}
	}
	e.buf = append(e.buf, '}')
	return true
}

func (e *encoder) object(v reflect.Value, depth int) bool {
	fields, ok := encFields(v.Type())
	if !ok {
		return false
	}
	e.buf = append(e.buf, '{')
	first := true
	for _, f := range fields {
		fv := v.FieldByIndex(f.index)
		if f.omitEmpty && emptyValue(fv) {
			continue
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.buf = append(e.buf, f.key...)
		if !e.value(fv, depth+1) {
			return false
		}
	}
	e.buf = append(e.buf, '}')
	return true
}

// appendString quotes s as encoding/json does: jsonstr's escapes with
// HTML's, but \b and \f in short (jsonstr writes \u0008 and \u000c, as
// encoding/json did before Go 1.22).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for {
		i := strings.IndexAny(s, "\b\f")
		if i < 0 {
			break
		}
		b = jsonstr.AppendBody(b, s[:i], true)
		if s[i] == '\b' {
			b = append(b, '\\', 'b')
		} else {
			b = append(b, '\\', 'f')
		}
		s = s[i+1:]
	}
	return append(jsonstr.AppendBody(b, s, true), '"')
}

// emptyValue is encoding/json's isEmptyValue (omitempty).
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

type encField struct {
	key []byte // `"name":`
	field
}

var encCache sync.Map // reflect.Type -> []encField

// encFields is fields(t) with each name quoted as a key; false also for
// omitzero.
func encFields(t reflect.Type) ([]encField, bool) {
	if fs, ok := encCache.Load(t); ok {
		return fs.([]encField), true
	}
	list, ok := fields(t)
	if !ok {
		return nil, false
	}
	out := make([]encField, 0, len(list))
	for _, f := range list {
		if f.omitZero {
			return nil, false
		}
		out = append(out, encField{key: append(appendString(nil, f.name), ':'), field: f})
	}
	encCache.Store(t, out)
	return out, true
}
