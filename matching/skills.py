"""Skill names, normalised so that synonyms match ("Excel" = "电子表格" = "表格处理").

Counselors and employers write the same skill many ways. Matching compares canonical forms:
full-width folded, case and spaces ignored, then mapped through the synonym table. Extend the
table as centres report new spellings.

Certificates are not normalised: a certificate is a legal title, and the hard requirement
compares it exactly (INTERCHANGE.md rule 2).
"""

from __future__ import annotations

from collections.abc import Iterable

from matching.occupations import normalize_text

# Canonical skill → its surface forms (the canonical name first).
SKILL_FORMS: dict[str, tuple[str, ...]] = {
    # office and data
    "电子表格": ("电子表格", "Excel", "Excel表格", "表格处理"),
    "文字录入": ("文字录入", "打字", "录入", "数据录入"),
    "办公软件": ("办公软件", "Office", "Word", "WPS"),
    "文字校对": ("文字校对", "校对"),
    "公文写作": ("公文写作", "文书写作", "写材料"),
    "档案管理": ("档案管理", "档案整理", "归档"),
    "档案数字化": ("档案数字化", "扫描", "文档扫描"),
    "数据标注": ("数据标注", "标注", "AI数据标注"),
    "速录": ("速录", "速记"),
    # customer service
    "客户服务": ("客户服务", "客服", "售后服务"),
    "电话沟通": ("电话沟通", "电话客服", "接听电话"),
    "在线客服": ("在线客服", "网络客服", "网店客服", "云客服"),
    "投诉处理": ("投诉处理", "售后处理"),
    "普通话": ("普通话", "普通话标准"),
    "沟通能力": ("沟通能力", "沟通协调", "善于沟通"),
    # e-commerce and media
    "网店运营": ("网店运营", "淘宝运营", "店铺运营", "电商运营"),
    "商品上架": ("商品上架", "上架", "商品管理"),
    "直播带货": ("直播带货", "直播", "电商直播"),
    "短视频剪辑": ("短视频剪辑", "视频剪辑", "剪辑", "剪映"),
    "图像处理": ("图像处理", "PS", "Photoshop", "修图"),
    "新媒体运营": ("新媒体运营", "公众号运营", "抖音运营"),
    "文案写作": ("文案写作", "文案", "写文案"),
    # massage
    "推拿": ("推拿", "按摩", "推拿按摩"),
    "足疗": ("足疗", "足部按摩", "足浴"),
    "中医理疗": ("中医理疗", "理疗", "康复理疗"),
    "经络穴位": ("经络穴位", "穴位", "经络"),
    "刮痧拔罐": ("刮痧拔罐", "刮痧", "拔罐"),
    # computing
    "编程": ("编程", "程序设计", "写代码"),
    "Python": ("Python", "Python开发", "python编程"),
    "Java": ("Java", "Java开发"),
    "网页制作": ("网页制作", "HTML", "网页设计", "前端开发"),
    "数据库": ("数据库", "SQL", "MySQL"),
    "软件测试": ("软件测试", "测试", "功能测试"),
    "无障碍测试": ("无障碍测试", "信息无障碍测试"),
    "读屏软件": ("读屏软件", "读屏", "争渡读屏", "NVDA"),
    "计算机维修": ("计算机维修", "电脑维修", "装机"),
    # design
    "平面设计": ("平面设计", "海报设计", "美工"),
    "动画制作": ("动画制作", "动画设计", "三维动画"),
    "CAD制图": ("CAD制图", "CAD", "AutoCAD", "制图"),
    "插画": ("插画", "手绘", "绘画"),
    # finance
    "会计核算": ("会计核算", "记账", "做账", "会计"),
    "出纳": ("出纳", "现金管理"),
    "财务软件": ("财务软件", "用友", "金蝶"),
    # public services
    "保洁": ("保洁", "清洁", "卫生清扫"),
    "垃圾分类": ("垃圾分类",),
    "绿化养护": ("绿化养护", "园林绿化", "花木养护"),
    "森林防火": ("森林防火", "护林", "巡山"),
    "巡逻": ("巡逻", "巡查", "治安巡逻"),
    "视频监控": ("视频监控", "监控", "监控值守"),
    "消防知识": ("消防知识", "消防安全"),
    "图书整理": ("图书整理", "图书上架", "图书管理"),
    "社区服务": ("社区服务", "社区工作", "便民服务"),
    "社会工作": ("社会工作", "社工", "个案工作"),
    "手语": ("手语", "手语交流"),
    "心理疏导": ("心理疏导", "心理咨询", "心理辅导"),
    # handicraft
    "刺绣": ("刺绣", "苗绣", "湘绣", "绣花"),
    "编织": ("编织", "手工编织", "竹编", "草编"),
    "手工制作": ("手工制作", "手工", "手工艺"),
    "蜡染": ("蜡染", "扎染"),
    "串珠": ("串珠", "珠绣", "串珠工艺"),
    # manufacturing and logistics
    "电子装配": ("电子装配", "电子组装", "组装", "插件"),
    "焊接": ("焊接", "锡焊", "电烙铁焊接"),
    "包装": ("包装", "打包", "产品包装"),
    "质检": ("质检", "质量检验", "品检", "QC"),
    "缝纫": ("缝纫", "车缝", "平车"),
    "仓库管理": ("仓库管理", "仓管", "库管"),
    "分拣": ("分拣", "理货", "货物分拣"),
    "进销存": ("进销存", "库存管理", "出入库"),
    # services, trades, farming
    "面点制作": ("面点制作", "面点", "包点"),
    "烹饪": ("烹饪", "厨艺", "炒菜"),
    "餐饮服务": ("餐饮服务", "传菜", "点餐"),
    "收银": ("收银", "收银机操作", "扫码收款"),
    "洗涤熨烫": ("洗涤熨烫", "洗衣", "熨烫"),
    "茶艺": ("茶艺", "泡茶", "茶道"),
    "养老护理": ("养老护理", "老人护理", "护理"),
    "美发": ("美发", "理发", "剪发"),
    "驾驶": ("驾驶", "开车", "C1驾驶"),
    "钢琴调律": ("钢琴调律", "调琴", "钢琴调音"),
    "彩票销售": ("彩票销售", "福彩销售", "体彩销售"),
    "种植": ("种植", "农作物种植", "蔬菜种植"),
    "养殖": ("养殖", "家禽养殖", "生猪养殖"),
}


#: Normalised surface form → canonical name.
SKILL_SYNONYMS: dict[str, str] = {
    normalize_text(form): canonical for canonical, forms in SKILL_FORMS.items() for form in forms
}


def canonical_skill(text: str) -> str:
    """The canonical form of a skill name (an unknown skill: its normalised form)."""
    key = normalize_text(text)
    return SKILL_SYNONYMS.get(key, key)


def canonical_skills(texts: Iterable[str]) -> frozenset[str]:
    """Canonical forms of several skill names, without repeats."""
    return frozenset(canonical_skill(t) for t in texts if t.strip())
