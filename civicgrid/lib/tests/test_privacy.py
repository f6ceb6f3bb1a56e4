from civicgrid.lib.privacy import mask_id_number, mask_name, mask_phone


def test_it_masks_the_middle_of_a_mobile_number():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("") == ""
    assert mask_phone("12345") == "*****"


def test_it_masks_an_id_number_but_its_region_and_tail():
    assert mask_id_number("320581199001011234") == "320581********1234"


def test_it_keeps_only_the_family_name():
    assert mask_name("张三丰") == "张**"
    assert mask_name("李四") == "李*"
