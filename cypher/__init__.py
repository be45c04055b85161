"""Schema and saved queries as `.cypher` files, shipped as package data so a wheel install has them too.

Nothing here is Python: read the files through `ccms_graph.settings.CYPHER_DIR`, which resolves this
package's folder in a source checkout, an editable install and a wheel install alike.
"""
