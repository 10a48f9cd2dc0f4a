import pytest

from web.services.uploads import UploadRefused, clean_filename


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd",
        "..\\..\\boot.ini",
        "a/b.pdf",
        "..",
        ".",
        "",
        "   ",
        "inv\x00oice.pdf",
        "bill\r\n.pdf",
    ],
)
def test_names_that_are_paths_or_carry_control_characters_are_refused(name: str) -> None:
    with pytest.raises(UploadRefused) as refused:
        clean_filename(name)
    assert refused.value.status == 400


def test_ordinary_names_are_kept_as_given() -> None:
    assert clean_filename("Rechnung März 2024.pdf") == "Rechnung März 2024.pdf"
    assert clean_filename("<script>.pdf") == "<script>.pdf"  # escaped when shown, not here
    assert len(clean_filename("x" * 400 + ".pdf")) == 255
