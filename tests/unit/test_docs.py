"""README.md and docs/architecture.svg stay true to the repository, so the docs cannot rot unnoticed.

- docs/architecture.svg is well-formed XML, an SVG about 1200 px wide, with no text under 12 px;
- every relative link and image in README.md points at a file or directory that exists, and every
  `#anchor` at one of its headings;
- every role's README, every module and every `trailguard_*` switch of the example group_vars is in README.md.

The link helpers are also run on synthetic Markdown with a missing file and a missing anchor, to show they
report them.
"""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
SVG = REPO / "docs" / "architecture.svg"
SVG_NS = "{http://www.w3.org/2000/svg}"

FENCE_RE = re.compile(r"^```.*?^```", re.S | re.M)
INLINE_CODE_RE = re.compile(r"`[^`\n]*`")
# [text](target) and ![alt](target); the target ends at whitespace or the closing parenthesis.
LINK_RE = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FONT_SIZE_RE = re.compile(r"font-size\s*:\s*([\d.]+)px")


def links(markdown):
    """The link targets of a Markdown text, leaving out code blocks and inline code."""
    prose = INLINE_CODE_RE.sub("", FENCE_RE.sub("", markdown))
    return LINK_RE.findall(prose)


def slug(heading):
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = INLINE_CODE_RE.sub(lambda match: match.group(0).strip("`"), heading).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(markdown):
    return {slug(line.lstrip("#")) for line in FENCE_RE.sub("", markdown).splitlines() if re.match(r"#{1,6} ", line)}


def broken_links(markdown, base, root=REPO):
    """Relative links of `markdown` (a file in directory `base`) whose file or anchor does not exist."""
    broken = []
    for target in links(markdown):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ... are not checked offline
            continue
        path, fragment = (target.split("#", 1) + [""])[:2]
        if not path:
            if fragment not in anchors(markdown):
                broken.append(target)
            continue
        resolved = (base / path).resolve()
        if not resolved.is_relative_to(root.resolve()) or not resolved.exists():
            broken.append(target)
    return broken


@pytest.fixture(scope="module")
def readme():
    return README.read_text(encoding="utf-8")


def test_every_relative_link_in_the_readme_exists(readme):
    found = links(readme)
    assert len(found) >= 20, f"the link parser found only {found}"
    assert broken_links(readme, README.parent) == []


def test_the_link_check_reports_a_missing_file_and_a_missing_anchor(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "there.md").write_text("# There\n")
    markdown = (
        "# Title\n\n## Real section\n\n"
        "[ok](docs/there.md) [dir](docs/) [anchor](#real-section) [web](https://example.com/x)\n"
        "[gone](docs/no-such-file.md) ![gone too](docs/missing.svg) [bad anchor](#no-such-section)\n"
        "[outside](../../etc/passwd) `[code](docs/not-checked.md)`\n\n"
        "```\n[fenced](docs/not-checked-either.md)\n```\n"
    )
    assert broken_links(markdown, tmp_path, root=tmp_path) == [
        "docs/no-such-file.md",
        "docs/missing.svg",
        "#no-such-section",
        "../../etc/passwd",
    ]


def test_the_readme_shows_the_architecture_picture(readme):
    assert "](docs/architecture.svg)" in readme


def test_the_architecture_picture_is_a_readable_svg():
    root = ET.parse(SVG).getroot()  # raises on XML that is not well-formed
    assert root.tag == f"{SVG_NS}svg"
    width = float(root.get("width"))
    assert 1000 <= width <= 1400, width
    assert root.find(f"{SVG_NS}title") is not None, "the picture needs a <title> for screen readers"

    sizes = [float(size) for style in root.iter(f"{SVG_NS}style") for size in FONT_SIZE_RE.findall(style.text)]
    sizes += [float(el.get("font-size").removesuffix("px")) for el in root.iter() if el.get("font-size")]
    assert sizes and min(sizes) >= 12, f"text under 12px: {sorted(sizes)}"

    text = " ".join("".join(el.itertext()) for el in root.iter(f"{SVG_NS}text"))
    for part in ("Runner", "Management account", "Log-archive account", "Member accounts", "Organization trail"):
        assert part in text, f"the picture does not show {part!r}"


def test_every_role_module_and_switch_is_in_the_readme(readme):
    roles = sorted(path.parent.name for path in REPO.glob("roles/*/README.md"))
    assert len(roles) >= 10
    missing = [role for role in roles if f"(roles/{role}/README.md)" not in readme]
    modules = sorted(path.stem for path in REPO.glob("plugins/modules/*.py") if path.stem != "__init__")
    missing += [module for module in modules if f"`{module}`" not in readme]
    group_vars = yaml.safe_load((REPO / "inventory" / "group_vars" / "all.yml").read_text(encoding="utf-8"))
    switches = sorted(name for name in group_vars if name.startswith("trailguard_"))
    assert "trailguard_aws_config" in switches
    missing += [switch for switch in switches if f"`{switch}`" not in readme]
    assert missing == [], f"README.md does not mention: {missing}"
