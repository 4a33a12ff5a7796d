package eventbus

// The ABI version this package was written against (ACEB_ABI_VERSION_MAJOR/MINOR): Open accepts a
// plugin of the same major version and any minor one.
const (
	ABIMajor = 1
	ABIMinor = 0
)
