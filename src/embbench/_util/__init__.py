"""Private helpers: atomic writes, files and downloads, content hashes, bundled folders."""
