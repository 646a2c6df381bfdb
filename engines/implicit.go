package engines

// ImplicitLoader is implemented by engines that can hold a table whose rows
// exist without being loaded (bench run --implicit-rows): instead of Load,
// the engine is handed row, which returns the row whose encoded primary key
// (Key.Encode) is key, or false when key is not one of the table's rows.
// The engine reads a row nobody has written through row, every time, and a
// write replaces it as a write replaces a loaded row. row must be a pure
// function of the key. Scans see only the rows written during the run.
type ImplicitLoader interface {
	LoadImplicit(t *Table, row func(key string) (Row, bool)) error
}
