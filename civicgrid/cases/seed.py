"""The seed category tree (大类 / 小类), after the digital urban management standard's groups.

Loaded by a data migration; administrators edit it afterwards. Each minor class:
(code, name, English name, response hours, resolution hours or None, resolution working days or
None, photo required, always urgent). `agency` names the kind of agency that usually handles it
(`load_demo` maps these onto its agencies).
"""

from __future__ import annotations

# (code, name, English name, kind, [(code, name, English, response h, resolution h, workdays, photo, urgent, agency)])
CATEGORIES: list[tuple[str, str, str, str, list[tuple]]] = [
    ("C01", "公用设施", "Public facilities", "component", [
        ("C0101", "井盖缺失破损", "Missing or broken manhole cover", 2, 24, None, True, False, "urban"),
        ("C0102", "路灯不亮", "Street light out", 24, None, 3, True, False, "power"),
        ("C0103", "供水管道破损", "Broken water pipe", 2, 24, None, True, False, "water_supply"),
        ("C0104", "燃气设施隐患", "Gas facility hazard", 1, 8, None, True, True, "gas"),
        ("C0105", "电力设施损坏", "Damaged power facility", 4, 48, None, True, False, "power"),
    ]),
    ("C02", "道路交通", "Roads and traffic", "component", [
        ("C0201", "道路破损坑洼", "Damaged road or pothole", 24, None, 5, True, False, "transport"),
        ("C0202", "交通标志损坏", "Damaged traffic sign", 24, None, 5, True, False, "transport"),
        ("C0203", "护栏损坏", "Damaged guardrail", 24, None, 5, True, False, "transport"),
        ("C0204", "公交站亭损坏", "Damaged bus shelter", 24, None, 5, True, False, "bus"),
    ]),
    ("C03", "市容环境设施", "City appearance facilities", "component", [
        ("C0301", "垃圾箱破损满溢", "Broken or overflowing litter bin", 12, 24, None, True, False, "urban"),
        ("C0302", "公厕设施损坏", "Damaged public toilet", 24, None, 3, True, False, "urban"),
        ("C0303", "无障碍设施缺失", "Missing accessibility facility", 24, None, 10, False, False, "housing"),
    ]),
    ("C04", "园林绿化设施", "Landscaping", "component", [
        ("C0401", "树木倒伏", "Fallen tree", 2, 12, None, True, False, "urban"),
        ("C0402", "绿地毁损", "Damaged green space", 24, None, 5, True, False, "urban"),
    ]),
    ("C05", "房屋土地", "Housing and land", "component", [
        ("C0501", "危房隐患", "Dangerous building", 2, 24, None, True, True, "housing"),
        ("C0502", "违法建设", "Illegal construction", 24, None, 10, True, False, "urban"),
    ]),
    ("C06", "其他设施", "Other facilities", "component", [
        ("C0601", "其他设施问题", "Other facility problem", 24, None, 5, False, False, ""),
    ]),
    ("E01", "市容环境", "City appearance and environment", "event", [
        ("E0101", "暴露垃圾", "Exposed rubbish", 12, 24, None, True, False, "urban"),
        ("E0102", "道路积水", "Standing water on road", 4, 12, None, True, False, "water"),
        ("E0103", "河道漂浮物", "Floating waste in river", 24, 48, None, True, False, "water"),
        ("E0104", "噪声扰民", "Noise nuisance", 12, 48, None, False, False, "environment"),
        ("E0105", "污水直排", "Sewage discharge", 4, 48, None, True, False, "environment"),
    ]),
    ("E02", "宣传广告", "Advertising", "event", [
        ("E0201", "非法小广告", "Illegal flyers", 24, None, 3, True, False, "urban"),
        ("E0202", "广告牌破损", "Damaged billboard", 12, None, 3, True, False, "urban"),
    ]),
    ("E03", "施工管理", "Construction", "event", [
        ("E0301", "施工扰民", "Construction nuisance", 12, 48, None, False, False, "housing"),
        ("E0302", "渣土撒漏", "Spilled construction waste", 4, 24, None, True, False, "urban"),
        ("E0303", "工地扬尘", "Construction site dust", 12, 48, None, True, False, "environment"),
    ]),
    ("E04", "街面秩序", "Street order", "event", [
        ("E0401", "占道经营", "Street vending on the road", 12, 24, None, True, False, "urban"),
        ("E0402", "乱停车辆", "Illegal parking", 12, 24, None, True, False, "transport"),
        ("E0403", "共享单车乱放", "Scattered shared bikes", 24, 48, None, True, False, "transport"),
        ("E0404", "无证经营", "Unlicensed business", 24, None, 5, False, False, "market"),
    ]),
    ("E05", "突发事件", "Emergencies", "event", [
        ("E0501", "路面塌陷", "Road collapse", 1, 2, None, True, True, "transport"),
        ("E0502", "燃气泄漏", "Gas leak", 1, 2, None, False, True, "gas"),
        ("E0503", "火灾隐患", "Fire hazard", 1, 2, None, True, True, "emergency"),
        ("E0504", "防汛险情", "Flood danger", 1, 2, None, True, True, "water"),
    ]),
    ("E06", "社区事务", "Community matters", "event", [
        ("E0601", "邻里纠纷", "Neighbour dispute", 24, None, 5, False, False, ""),
        ("E0602", "养老服务需求", "Elderly care need", 24, None, 5, False, False, "civil_affairs"),
        ("E0603", "无障碍出行困难", "Accessibility difficulty", 24, None, 10, False, False, "civil_affairs"),
        ("E0604", "安全隐患", "Safety hazard", 4, 48, None, True, False, "emergency"),
        ("E0605", "物业管理问题", "Property management problem", 24, None, 7, False, False, "housing"),
        ("E0606", "其他社区诉求", "Other community request", 24, None, 7, False, False, ""),
    ]),
]  # fmt: skip


def load_categories(category_model) -> int:
    """Create the seed tree if missing (by code); return how many categories were created."""
    created = 0
    for sort_major, (code, name, name_en, kind, minors) in enumerate(CATEGORIES):
        major, made = category_model.objects.get_or_create(
            code=code, defaults={"name": name, "name_en": name_en, "kind": kind, "sort": sort_major * 100}
        )
        created += made
        for sort_minor, (mcode, mname, men, resp, res_h, res_d, photo, urgent, _agency) in enumerate(minors):
            _obj, made = category_model.objects.get_or_create(
                code=mcode,
                defaults={
                    "name": mname,
                    "name_en": men,
                    "kind": kind,
                    "parent": major,
                    "response_hours": resp,
                    "resolution_hours": res_h,
                    "resolution_workdays": res_d,
                    "photo_required": photo,
                    "is_urgent": urgent,
                    "sort": sort_major * 100 + sort_minor + 1,
                },
            )
            created += made
    return created


# The common problems the report page shows as large icons, in this order, with their suggested phrases
# (Chinese, English); their description is optional: the icon and the photo say what it is.
QUICK: list[tuple[str, str, list[str], list[str]]] = [
    ("E0101", "rubbish", ["垃圾堆放多日未清运", "垃圾散落在路边", "有异味，招蚊蝇"],
     ["Rubbish left for days", "Rubbish scattered by the road", "It smells and draws flies"]),
    ("C0301", "bin", ["垃圾桶已满溢", "垃圾桶破损", "垃圾桶缺盖"],
     ["The bin is overflowing", "The bin is broken", "The bin has no lid"]),
    ("C0102", "lamp", ["整条路的路灯都不亮", "路灯一闪一闪", "路灯白天也亮着"],
     ["The whole street is dark", "The light flickers", "The light is on in daytime"]),
    ("C0201", "road", ["路面有坑，容易绊倒", "路面开裂下沉", "人行道砖松动"],
     ["A pothole people trip on", "The road surface is cracked and sinking", "Loose paving stones"]),
    ("C0101", "manhole", ["井盖丢失，很危险", "井盖破裂", "井盖松动有响声"],
     ["The cover is missing: dangerous", "The cover is cracked", "The cover is loose and rattles"]),
    ("E0102", "water", ["下雨后积水很深", "积水影响通行", "排水口堵塞"],
     ["Deep water after rain", "Water blocks the way", "The drain is blocked"]),
    ("E0402", "parking", ["车辆占用消防通道", "车辆占用人行道", "车辆堵住出入口"],
     ["A car blocks the fire lane", "A car parked on the pavement", "A car blocks the entrance"]),
    ("E0403", "bike", ["共享单车堆放堵路", "单车倒在盲道上"],
     ["Shared bikes piled up in the way", "Bikes lying on the tactile paving"]),
    ("E0401", "stall", ["占道摆摊影响通行", "流动摊贩油烟大"],
     ["A stall blocks the way", "A mobile stall gives off smoke"]),
    ("E0201", "flyer", ["墙上贴满小广告", "电线杆上有小广告"],
     ["Flyers all over the wall", "Flyers on a pole"]),
    ("E0104", "noise", ["夜间噪音吵得睡不着", "店铺音响声音太大"],
     ["Noise at night: cannot sleep", "A shop plays music too loud"]),
]  # fmt: skip


def load_quick(category_model) -> int:
    """Give the seed's common problems their icon and phrases, and make their description optional.

    Only where an administrator left the icon empty (by code); returns how many were set. Used by a data
    migration and by the test set-up that restores the seed.
    """
    done = 0
    for order, (code, icon, phrases, phrases_en) in enumerate(QUICK, start=1):
        done += category_model.objects.filter(code=code, quick_icon="").update(
            quick_icon=icon,
            quick_order=order,
            description_required=False,
            phrases="\n".join(phrases),
            phrases_en="\n".join(phrases_en),
        )
    return done


def agency_kinds() -> dict[str, str]:
    """Return minor class code → the kind of agency that usually handles it."""
    return {m[0]: m[8] for *_major, minors in CATEGORIES for m in minors if m[8]}


# Example questions (Open311 attributes) of a few minor classes, loaded with the demo (`load_questions`):
# code → [(code, label, English label, hint, English hint, datatype, required, [(key, name, English)])],
# and an answer each demo case in the class gives.
QUESTIONS: dict[str, list[tuple]] = {
    "C0101": [
        ("damage", "损坏程度", "Damage", "按井盖现状选择", "As the cover is now", "singlevaluelist", True, [
            ("missing", "缺失", "Missing"),
            ("broken", "破损", "Broken"),
            ("loose", "松动", "Loose"),
        ]),
        ("cover_use", "井盖类型", "Kind of cover", "井盖上印的字，如“雨水”“污水”", "The word cast on the cover",
         "singlevaluelist", False, [
            ("rain", "雨水", "Storm drain"),
            ("sewage", "污水", "Sewer"),
            ("power", "电力", "Power"),
            ("telecom", "通信", "Telecom"),
            ("unknown", "看不清", "Cannot tell"),
        ]),
    ],
    "C0102": [
        ("pole_number", "灯杆编号", "Pole number", "灯杆上喷涂的编号，如 LD-0231", "Painted on the pole, e.g. LD-0231",
         "string", False, []),
        ("lights_out", "不亮的盏数", "Lights out", "", "", "number", False, []),
    ],
    "E0402": [
        ("vehicles", "车辆类型", "Vehicles", "可多选", "Choose all that apply", "multivaluelist", False, [
            ("car", "小汽车", "Car"),
            ("ebike", "电动车", "E-bike"),
            ("truck", "货车", "Truck"),
            ("bike", "自行车", "Bicycle"),
        ]),
        ("blocking", "占用位置", "Blocking", "", "", "singlevaluelist", False, [
            ("fire_lane", "消防通道", "Fire lane"),
            ("sidewalk", "人行道", "Sidewalk"),
            ("tactile", "盲道", "Tactile paving"),
            ("entrance", "出入口", "Entrance"),
        ]),
        ("seen_at", "发现时间", "Seen at", "大约何时开始停放", "About when it was parked", "datetime", False, []),
    ],
}  # fmt: skip
DEMO_ANSWERS: dict[str, dict] = {
    "C0101": {"damage": "broken", "cover_use": "sewage"},
    "C0102": {"pole_number": "LD-0231", "lights_out": 2},
    "E0402": {"vehicles": ["car", "ebike"], "blocking": "fire_lane"},
}


def load_questions(category_model, question_model) -> int:
    """Add the example questions where missing (by category and code); return how many were added."""
    created = 0
    by_code = {c.code: c for c in category_model.objects.filter(code__in=list(QUESTIONS))}
    for code, questions in QUESTIONS.items():
        category = by_code.get(code)
        if category is None:
            continue
        for order, (qcode, label, label_en, hint, hint_en, datatype, required, values) in enumerate(
            questions, 1
        ):
            _obj, made = question_model.objects.get_or_create(
                category=category,
                code=qcode,
                defaults={
                    "label": label,
                    "label_en": label_en,
                    "hint": hint,
                    "hint_en": hint_en,
                    "datatype": datatype,
                    "required": required,
                    "order": order,
                    "values": [{"key": k, "name": n, "name_en": e} for k, n, e in values],
                },
            )
            created += made
    return created
