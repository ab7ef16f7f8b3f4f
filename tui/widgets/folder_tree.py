"""Roots and folders as a tree; choosing a node filters the list to that folder.

Only the folders that hold samples are known (one catalog query); the tree adds children when a
node opens, so a library of thousands of folders opens at once. A root that is not on disk is
labelled offline.
"""

from __future__ import annotations

import os
from collections import defaultdict

from rich.text import Text
from textual.binding import Binding
from textual.widgets import Tree
from textual.widgets.tree import TreeNode


def folder_children(roots: list[str], folders: list[str]) -> dict[str, list[str]]:
    """parent folder -> child folders, for every folder between a root and a sample's folder."""
    children: dict[str, set[str]] = defaultdict(set)
    for folder in folders:
        root = max(
            (r for r in roots if folder == r or folder.startswith(r.rstrip(os.sep) + os.sep)), key=len, default=None
        )
        while root and folder != root and len(folder) > len(root):
            parent = os.path.dirname(folder)
            children[parent].add(folder)
            folder = parent
    return {parent: sorted(kids, key=list_order) for parent, kids in children.items()}


def list_order(folder: str) -> str:
    """Sort key that puts folders in the order the sample list shows their files (the list sorts
    by full path, case-sensitively: "Kit 1 b/…" before "Kit 1/…" because " " < "/")."""
    return folder + os.sep


def root_label(root: str, online: bool) -> str:
    """The root's folder name (its full path is in the detail pane), marked when offline."""
    name = os.path.basename(root.rstrip(os.sep)) or root
    return name if online else f"{name} (offline)"


#: Node data of the places that are not folders (a folder's node data is its path).
RECENT, COLLECTIONS, COLLECTION = "\0recent", "\0collections", "\0collection:"


def place_of(data: str | None) -> dict:
    """The FilterState.at() arguments for a tree node's data."""
    if data == RECENT:
        return {"recent": True}
    if data and data.startswith(COLLECTION):
        return {"collection": data[len(COLLECTION) :]}
    return {"folder": data or None}


class FolderTree(Tree[str]):
    DEFAULT_CSS = """
    FolderTree { width: 28%; min-width: 16; max-width: 40; border-right: solid $primary; }
    FolderTree:focus { border-right: solid $accent; }
    """
    #: The list's up/down keys move here too (same binding ids, so the configured keys apply).
    BINDINGS = [
        Binding("down,j", "cursor_down", "down", show=False, id="down"),
        Binding("up,k", "cursor_up", "up", show=False, id="up"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__("all samples", data="", **kwargs)
        self.guide_depth = 2
        self._children: dict[str, list[str]] = {}
        self._roots: dict[str, TreeNode[str]] = {}
        self.root.expand()
        self._recent = self.root.add_leaf("recently added", data=RECENT)
        self._collections = self.root.add("collections", data=COLLECTIONS, allow_expand=False)

    def process_label(self, label) -> Text:
        """Folder names are shown as they are (a name like "Kit [808]" is not Rich markup)."""
        return super().process_label(Text(label) if isinstance(label, str) else label)

    def set_folders(self, roots: list[str], folders: list[str], offline: set[str]) -> None:
        """Show ``roots`` (offline ones marked) and make the known folders reachable under them."""
        self._children = folder_children(roots, folders)
        for root in roots:
            label = root_label(root, root not in offline)
            node = self._roots.get(root)
            if node is None:
                node = self._roots[root] = self.root.add(label, data=root, allow_expand=True, before=self._recent)
            node.set_label(label)
            node.allow_expand = bool(self._children.get(root))
            self._refill(node)

    def set_collections(self, named: list[tuple[str, int]]) -> None:
        """The collections, each a node that lists its samples like a folder."""
        node = self._collections
        node.remove_children()
        for name, count in named:
            node.add_leaf(Text(f"{name} ({count:,})"), data=COLLECTION + name)
        node.allow_expand = bool(named)
        node.set_label(f"collections ({len(named)})" if named else "collections")

    def _refill(self, node: TreeNode[str]) -> None:
        if node.is_expanded:
            self._fill(node)
            for child in node.children:
                self._refill(child)

    def _fill(self, node: TreeNode[str]) -> None:
        """Add the folders not shown yet, each in its sorted place (a new folder is not appended)."""
        present = {child.data for child in node.children}
        for folder in self._children.get(node.data or "", []):
            if folder not in present:
                later = next((c for c in node.children if list_order(c.data or "") > list_order(folder)), None)
                child = node.add(os.path.basename(folder), data=folder, before=later)
                child.allow_expand = bool(self._children.get(folder))

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[str]) -> None:
        if event.node is not self.root and event.node is not self._collections:
            self._fill(event.node)
