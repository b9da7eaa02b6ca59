"""Realistic mistakes in 05_petimages_loading: the PetImages loader."""

from __future__ import annotations

from autograder.mistakes.base import Mistake, mistake

_LOADER = """
{imports}def load_pet_images(basedir, img_size=50):
{guard}    classes = {classes}
    images, labels, skipped = [], [], []
    for label, name in enumerate(classes):
        folder = os.path.join(basedir, name)
        for filename in {files}:
            path = os.path.join(folder, filename)
            if {ignore}:
                continue
            try:
                image = cv2.imread(path{flags})
                if image is None:
{on_none}                    raise ValueError("OpenCV cannot decode this file")
                images.append(cv2.resize(image, ({size}, {size})))
                labels.append({label})
            {handler}
    images = np.array(images, dtype=np.uint8)
    return images, np.array(labels), skipped
"""
_GUARD = (
    "    if not os.path.isdir(basedir):\n"
    '        raise FileNotFoundError(f"PetImages folder not found: {basedir}")\n'
)
_SORTED_CLASSES = (
    "sorted(n for n in os.listdir(basedir) "
    'if not n.startswith(".") and os.path.isdir(os.path.join(basedir, n)))'
)


def _loader(
    *,
    imports: str = "",
    guard: str = _GUARD,
    classes: str = _SORTED_CLASSES,
    files: str = "sorted(os.listdir(folder))",
    ignore: str = 'filename.startswith(".") or not os.path.isfile(path)',
    flags: str = ", cv2.IMREAD_GRAYSCALE",
    size: str = "img_size",
    label: str = "label",
    handler: str = "except Exception:\n                skipped.append(path)",
    on_none: str = "",
) -> str:
    return _LOADER.format(
        imports=imports,
        guard=guard,
        classes=classes,
        files=files,
        ignore=ignore,
        flags=flags,
        size=size,
        label=label,
        handler=handler,
        on_none=on_none,
    )


_SUMMARIZE = """
def summarize(labels, skipped):
    {body}
"""
_LOAD_CHECKS = {
    "shape": "test_returns_uint8_images_integer_labels_and_path_list",
    "count": "test_loads_every_readable_image",
    "labels": "test_labels_are_sorted_class_folder_indices",
    "pixels": "test_images_are_the_files_in_grayscale_resized",
    "size": "test_img_size_sets_the_image_size",
    "unreadable": "test_reports_every_unreadable_file",
    "hidden": "test_ignores_hidden_files_and_folders",
    "missing": "test_missing_folder_raises_file_not_found",
    "interrupt": "test_keyboard_interrupt_reaches_the_caller",
    "order": "test_order_does_not_depend_on_the_listing",
}


def _petimages(name: str, fails: set[str], **kw) -> Mistake:
    """A load_pet_images mistake; ``fails`` names checks by their _LOAD_CHECKS key."""
    demo, self_check_fails = kw.pop("demo", False), kw.pop("self_check_fails", frozenset())
    return mistake(
        name,
        "05_petimages_loading",
        "load_pet_images",
        _loader(**kw),
        {_LOAD_CHECKS[key] for key in fails},
        demo=demo,
        self_check_fails=self_check_fails,
    )


MISTAKES = [
    _petimages(
        "the lecture's labels: the class name instead of its index",
        {"shape", "labels"},
        label="name",
        demo=True,
    ),
    _petimages(
        "the lecture's bare except: Ctrl-C is swallowed too",
        {"interrupt"},
        handler="except:\n                skipped.append(path)",
    ),
    _petimages(
        "the lecture's class order, Dog then Cat",
        {"labels", "order"},
        classes='["Dog", "Cat"]',
    ),
    _petimages(
        # Folders in sorted order, the right images in the right order: only the labels show it.
        "Dog labelled 0 and Cat 1",
        {"labels"},
        label='0 if name == "Dog" else 1',
    ),
    _petimages(
        # Where the file system lists Dog first (the checks' own does), the classes swap too.
        "folders and files in os.listdir order, unsorted",
        {"labels", "order"},
        classes='[n for n in os.listdir(basedir) if not n.startswith(".")]',
        files="os.listdir(folder)",
    ),
    _petimages(
        "colour images: cv2.imread without IMREAD_GRAYSCALE",
        {"shape", "pixels"},
        flags="",
        self_check_fails=frozenset({"test_load_pet_images"}),
    ),
    _petimages("img_size ignored: always 50x50", {"size"}, size="50"),
    _petimages(
        "only lower-case .jpg files are tried",
        {"count", "unreadable", "hidden"},  # ._5.jpg passes the filter
        ignore='not filename.endswith(".jpg")',
    ),
    _petimages(
        "unreadable files dropped silently: except Exception: pass",
        {"unreadable"},
        handler="except Exception:\n                pass",
    ),
    _petimages(
        "hidden files and sub-folders are read too",
        {"hidden"},
        ignore="False",
    ),
    _petimages(
        # Nothing hidden is reported: it is opened, and dropped once cv2.imread gives None.
        "hidden files read with cv2.imread, then dropped when it returns None",
        {"hidden"},
        ignore="not os.path.isfile(path)",
        on_none='                    if filename.startswith("."):  # .DS_Store: not a photo\n'
        "                        continue\n",
    ),
    _petimages(
        "sub-folders read with cv2.imread, then dropped when it returns None",
        {"hidden"},
        ignore='filename.startswith(".")',
        on_none="                    if os.path.isdir(path):  # a folder is no photo either\n"
        "                        continue\n",
    ),
    _petimages(
        "a missing folder gives empty results (glob)",
        {"missing"},
        imports="import glob\n\n\n",
        guard="",
        classes="sorted(os.path.basename(p) for p in glob.glob(os.path.join(basedir, '*')))",
    ),
    mistake(
        # No image shows its file's grey levels any more: the labels and the order cannot
        # be judged, and say so (each image is matched to its file by its pixels).
        "images standardised for training: (x - mean) / std",
        "05_petimages_loading",
        "load_pet_images",
        _loader().replace(
            "    images = np.array(images, dtype=np.uint8)\n",
            "    images = np.array(images, dtype=np.float32)\n"
            "    images = (images - images.mean()) / images.std()\n",
        ),
        {_LOAD_CHECKS[key] for key in ("shape", "pixels", "labels", "order")},
        self_check_fails=frozenset({"test_load_pet_images"}),
    ),
    mistake(
        "summarize with collections.Counter: label keys, no zeros",
        "05_petimages_loading",
        "summarize",
        "from collections import Counter\n\n\n"
        + _SUMMARIZE.format(body='return {**Counter(labels.tolist()), "skipped": len(skipped)}'),
        {"test_summarize_counts_classes_and_skipped", "test_summarize_includes_an_empty_class"},
        demo=True,
    ),
    mistake(
        "summarize with np.bincount but no minlength",
        "05_petimages_loading",
        "summarize",
        _SUMMARIZE.format(
            body="counts = dict(zip(CLASS_NAMES, np.bincount(labels).tolist()))\n"
            '    return {**counts, "skipped": len(skipped)}'
        ),
        {"test_summarize_includes_an_empty_class"},
    ),
]
