"""The map's HTML and CSS go out compacted (Streamlit re-sends them with every slider press)
and lose nothing a browser or a screen reader uses."""

from __future__ import annotations

import re

from cvae.latent_map import ASSETS, compact


def test_compacting_drops_comments_and_whitespace_only():
    css = "/* why */\n.a  >  .b {\n  color: red;  /* note */\n}\n"
    assert compact(css) == ".a > .b { color: red; }"
    html = ('<div class="x">\n  <!-- note -->\n'
            '  <span aria-label="drag  the point">hi</span>\n</div>')
    assert compact(html) == '<div class="x"><span aria-label="drag the point">hi</span></div>'


def test_the_map_keeps_its_labels_and_live_regions():
    html = compact((ASSETS / "map.html").read_text(encoding="utf-8"))
    for needle in ('aria-live="polite"', 'role="status"', 'role="application"',
                   'class="map-inset"', 'aria-hidden="true"', "Decoded digit"):
        assert needle in html
    labels = re.findall(r'aria-label="([^"]*)"', html)
    assert "click a test digit to pick it" in labels[0]


def test_the_compacted_css_still_reads_as_inline_css_to_streamlit():
    """A one-line css string with "[" in it is a file path to Streamlit: registering fails."""
    from cvae.latent_map import DRAW_COMPONENT, MAP_COMPONENT, _register

    for name in (MAP_COMPONENT, DRAW_COMPONENT):
        _register(name)


IMPORT = re.compile(r'^import\s+(?:[^"]*\sfrom\s+)?"\./([\w.]+)";', re.M)
DYNAMIC_IMPORT = re.compile(r'\bimport\("\./([\w.]+)"\)')


def test_the_static_route_serves_every_module_the_map_imports():
    from cvae.latent_map import STATIC_FILES

    for name in STATIC_FILES:
        text = (ASSETS / name).read_text(encoding="utf-8")
        for imported in IMPORT.findall(text) + DYNAMIC_IMPORT.findall(text):
            assert imported in STATIC_FILES, f"{name} imports {imported}, which is not served"


def test_main_imports_every_module_of_its_first_load_itself():
    """main.js's static imports are fetched at once; one found only in another module's
    imports would be fetched a round trip later, delaying the map's first paint."""
    first = set(IMPORT.findall((ASSETS / "main.js").read_text(encoding="utf-8")))
    assert {"geometry.js", "render.js", "transport.js", "state.js", "input.js"} <= first
    for name in first:
        deeper = set(IMPORT.findall((ASSETS / name).read_text(encoding="utf-8")))
        assert deeper <= first, f"{name} imports {deeper - first}, not imported by main.js"
    assert not {"hover.js", "layers.js"} & first  # loaded when first needed


def test_the_page_preloads_main_and_exactly_its_static_imports():
    """What the page's HTML preloads (`cvae.first_frame`): main.js, then each module it
    imports statically, none twice."""
    from cvae.latent_map import STATIC_PATH, first_paint_modules, main_module

    first = IMPORT.findall((ASSETS / "main.js").read_text(encoding="utf-8"))
    modules = first_paint_modules()
    assert modules[0] == main_module() and len(modules) == len(set(modules))
    assert sorted(modules[1:]) == sorted(f"{STATIC_PATH}/{name}" for name in first)
