import type { DiaperSize, SkuCategory } from '../platform/db/schema';
import { demoGtin } from './identifiers';
import type { DemoSku } from './types';

/**
 * The demo catalogue (500+ SKUs, DOMAIN.md): every combination of series × variant × pack in each category.
 * Shelf lives and warning windows are category rules: formula keeps 720 days and is flagged 180 days
 * (6 months) before expiry; durable goods (cots, bags) never expire in practice and are never flagged.
 */
const RULES: Record<SkuCategory, { shelf: number; warn: number }> = {
  formula: { shelf: 720, warn: 180 },
  diapers: { shelf: 1095, warn: 90 },
  wipes: { shelf: 1095, warn: 90 },
  baby_food: { shelf: 540, warn: 90 },
  cots: { shelf: 3650, warn: 0 },
  bags: { shelf: 3650, warn: 0 },
};

type Name = readonly [zh: string, en: string];

const FORMULA_SERIES: readonly Name[] = [
  ['臻护', 'Premium Care'], ['有机', 'Organic'], ['金装', 'Gold'], ['A2蛋白', 'A2 Protein'],
  ['舒敏', 'HA Gentle'], ['羊奶', 'Goat Milk'], ['启慧', 'Brain Plus'], ['亲和', 'Comfort'],
];
const FORMULA_STAGES: readonly Name[] = [
  ['1段(0-6月)', 'Stage 1 (0-6m)'], ['2段(6-12月)', 'Stage 2 (6-12m)'],
  ['3段(12-36月)', 'Stage 3 (12-36m)'], ['4段(3-6岁)', 'Stage 4 (3-6y)'],
];
const CAN_GRAMS = [400, 800, 900] as const;

const DIAPER_LINES: readonly Name[] = [
  ['轻薄透气', 'Air Thin'], ['夜安', 'Night Secure'], ['云柔', 'Cloud Soft'], ['有机棉', 'Organic Cotton'],
  ['畅享', 'Everyday'], ['极光', 'Aurora'], ['婴护', 'Sensitive'], ['小森林', 'Little Forest'],
];
const PULLUP_LINES: readonly Name[] = [
  ['成长裤', 'Growing Pants'], ['拉拉裤夜用', 'Night Pull-ups'], ['学步裤', 'Walker Pants'],
  ['云柔拉拉裤', 'Cloud Soft Pull-ups'], ['轻薄拉拉裤', 'Air Thin Pull-ups'],
];
/** Pieces per pack by size: small, large and jumbo packs. */
const DIAPER_PIECES: Record<DiaperSize, readonly number[]> = {
  NB: [30, 66, 102], S: [28, 62, 96], M: [24, 54, 84], L: [20, 46, 72], XL: [18, 40, 64],
};
const PULLUP_PIECES: Partial<Record<DiaperSize, readonly number[]>> = { M: [26, 52], L: [22, 46], XL: [20, 40] };

const WIPES_KINDS: readonly Name[] = [
  ['手口湿巾', 'Hand & Mouth Wipes'], ['纯水湿巾', 'Water Wipes'], ['棉柔巾', 'Dry Cotton Tissue'],
  ['润肤湿巾', 'Moisturising Wipes'], ['屁屁湿巾', 'Bottom Wipes'], ['消毒湿巾', 'Sanitising Wipes'],
  ['加厚湿巾', 'Extra Thick Wipes'], ['便携湿巾', 'Travel Wipes'],
];
const WIPES_PACKS: readonly { zh: string; en: string; perCase: number }[] = [
  { zh: '10抽', en: '10 sheets', perCase: 96 }, { zh: '25抽', en: '25 sheets', perCase: 48 },
  { zh: '80抽', en: '80 sheets', perCase: 24 }, { zh: '80抽×3包', en: '80 sheets x3', perCase: 8 },
  { zh: '80抽×6包', en: '80 sheets x6', perCase: 4 }, { zh: '100抽×10包', en: '100 sheets x10', perCase: 2 },
];

const FOODS: readonly { kind: Name; flavours: readonly Name[]; packs: readonly { zh: string; en: string; perCase: number }[] }[] = [
  {
    kind: ['高铁米粉', 'Iron Rice Cereal'],
    flavours: [['原味', 'Original'], ['南瓜', 'Pumpkin'], ['胡萝卜', 'Carrot'], ['山药', 'Yam'], ['猪肝', 'Pork Liver'],
      ['牛肉', 'Beef'], ['三文鱼', 'Salmon'], ['菠菜', 'Spinach'], ['苹果', 'Apple'], ['红枣', 'Red Date']],
    packs: [{ zh: '225g', en: '225g', perCase: 24 }, { zh: '450g', en: '450g', perCase: 12 }],
  },
  {
    kind: ['果泥', 'Fruit Puree'],
    flavours: [['苹果', 'Apple'], ['香蕉', 'Banana'], ['梨', 'Pear'], ['芒果', 'Mango'], ['草莓', 'Strawberry'],
      ['蓝莓', 'Blueberry'], ['西梅', 'Prune'], ['桃', 'Peach'], ['猕猴桃', 'Kiwi'], ['火龙果', 'Dragon Fruit'],
      ['苹果香蕉', 'Apple Banana'], ['混合莓', 'Mixed Berry'], ['木瓜', 'Papaya'], ['葡萄', 'Grape'], ['橙子', 'Orange']],
    packs: [{ zh: '90g', en: '90g', perCase: 48 }, { zh: '90g×6袋', en: '90g x6', perCase: 8 }],
  },
  {
    kind: ['肉泥', 'Meat Puree'],
    flavours: [['猪肉', 'Pork'], ['牛肉', 'Beef'], ['鸡肉', 'Chicken'], ['鳕鱼', 'Cod'], ['三文鱼', 'Salmon'],
      ['猪肝', 'Pork Liver'], ['鸭肉', 'Duck'], ['羊肉', 'Lamb']],
    packs: [{ zh: '100g', en: '100g', perCase: 24 }, { zh: '100g×3罐', en: '100g x3', perCase: 8 }],
  },
  {
    kind: ['磨牙饼干', 'Teething Biscuits'],
    flavours: [['原味', 'Original'], ['香蕉', 'Banana'], ['紫薯', 'Purple Yam'], ['牛奶', 'Milk'],
      ['菠菜', 'Spinach'], ['胡萝卜', 'Carrot'], ['蓝莓', 'Blueberry'], ['南瓜', 'Pumpkin']],
    packs: [{ zh: '64g', en: '64g', perCase: 36 }, { zh: '64g×4盒', en: '64g x4', perCase: 9 }],
  },
  {
    kind: ['酸奶溶豆', 'Yogurt Melts'],
    flavours: [['原味', 'Original'], ['草莓', 'Strawberry'], ['蓝莓', 'Blueberry'], ['黄桃', 'Yellow Peach'],
      ['香蕉', 'Banana'], ['混合果蔬', 'Mixed Fruit & Veg']],
    packs: [{ zh: '18g', en: '18g', perCase: 60 }, { zh: '18g×5袋', en: '18g x5', perCase: 12 }],
  },
  {
    kind: ['婴儿面条', 'Baby Noodles'],
    flavours: [['原味', 'Original'], ['菠菜', 'Spinach'], ['胡萝卜', 'Carrot'], ['南瓜', 'Pumpkin'],
      ['番茄', 'Tomato'], ['紫薯', 'Purple Yam'], ['牛肉', 'Beef'], ['鳕鱼', 'Cod']],
    packs: [{ zh: '200g', en: '200g', perCase: 24 }, { zh: '300g', en: '300g', perCase: 20 }],
  },
];

const COTS: readonly Name[] = [
  ['实木婴儿床', 'Solid Wood Cot'], ['多功能拼接床', 'Bedside Sleeper'], ['可折叠游戏床', 'Foldable Play Cot'],
  ['摇篮床', 'Rocking Crib'], ['成长床(可变儿童床)', 'Convertible Cot Bed'], ['便携旅行床', 'Travel Cot'],
  ['欧式婴儿床', 'Classic Cot'], ['竹制婴儿床', 'Bamboo Cot'],
];
const COT_COLOURS: readonly Name[] = [['原木色', 'Natural'], ['白色', 'White'], ['胡桃色', 'Walnut'], ['灰色', 'Grey']];
const MATTRESSES: readonly Name[] = [['椰棕床垫', 'Coir Mattress'], ['乳胶床垫', 'Latex Mattress'], ['3D透气床垫', '3D Air Mattress']];
const MATTRESS_SIZES = ['120×60cm', '100×56cm', '90×50cm', '80×50cm'] as const;

const BAGS: readonly Name[] = [
  ['妈咪包双肩款', 'Diaper Backpack'], ['妈咪包斜挎款', 'Crossbody Diaper Bag'], ['多功能妈咪包', 'Multi Diaper Bag'],
  ['婴儿推车挂包', 'Stroller Organiser'], ['保温奶瓶包', 'Insulated Bottle Bag'], ['外出收纳包', 'Outing Pouch'],
  ['待产包套装', 'Hospital Bag Set'], ['轻便手提包', 'Tote Diaper Bag'], ['尿布收纳包', 'Nappy Pouch'],
  ['辅食保温包', 'Food Cooler Bag'], ['宝宝背带收纳包', 'Carrier Bag'], ['防水换尿布垫包', 'Changing Clutch'],
];
const BAG_COLOURS: readonly Name[] = [['黑色', 'Black'], ['卡其', 'Khaki'], ['灰色', 'Grey'], ['藏青', 'Navy'], ['粉色', 'Pink']];

const BRAND: Name = ['摇篮', 'Cradle'];

export function generateSkus(): DemoSku[] {
  const skus: DemoSku[] = [];
  const add = (category: SkuCategory, zh: string, en: string, unitsPerCase: number, size: DiaperSize | null = null) => {
    skus.push({
      gtin: demoGtin(skus.length + 1),
      name: `${BRAND[0]}${zh}`,
      name_en: `${BRAND[1]} ${en}`,
      category,
      size,
      units_per_case: unitsPerCase,
      pack_sizes: [1, unitsPerCase],
      shelf_life_days: RULES[category].shelf,
      expiry_warning_days: RULES[category].warn,
    });
  };

  for (const [sz, se] of FORMULA_SERIES) {
    for (const [tz, te] of FORMULA_STAGES) {
      // Six cans to a case for every can size.
      for (const g of CAN_GRAMS) add('formula', `${sz}婴幼儿配方奶粉 ${tz} ${g}g`, `${se} Infant Formula ${te} ${g}g`, 6);
    }
  }
  for (const [lz, le] of DIAPER_LINES) {
    for (const [size, pieces] of Object.entries(DIAPER_PIECES) as [DiaperSize, readonly number[]][]) {
      pieces.forEach((n, i) => add('diapers', `${lz}纸尿裤 ${size}码 ${n}片`, `${le} Diapers ${size} ${n} pcs`, i === 0 ? 8 : 4, size));
    }
  }
  for (const [lz, le] of PULLUP_LINES) {
    for (const [size, pieces] of Object.entries(PULLUP_PIECES) as [DiaperSize, readonly number[]][]) {
      pieces.forEach((n, i) => add('diapers', `${lz} ${size}码 ${n}片`, `${le} ${size} ${n} pcs`, i === 0 ? 6 : 4, size));
    }
  }
  for (const [kz, ke] of WIPES_KINDS) {
    for (const p of WIPES_PACKS) add('wipes', `${kz} ${p.zh}`, `${ke} ${p.en}`, p.perCase);
  }
  for (const food of FOODS) {
    for (const [fz, fe] of food.flavours) {
      for (const p of food.packs) add('baby_food', `${fz}${food.kind[0]} ${p.zh}`, `${fe} ${food.kind[1]} ${p.en}`, p.perCase);
    }
  }
  for (const [cz, ce] of COTS) {
    for (const [colz, cole] of COT_COLOURS) add('cots', `${cz} ${colz}`, `${ce} ${cole}`, 1);
  }
  for (const [mz, me] of MATTRESSES) {
    for (const s of MATTRESS_SIZES) add('cots', `${mz} ${s}`, `${me} ${s.replace('×', 'x')}`, 2);
  }
  for (const [bz, be] of BAGS) {
    for (const [colz, cole] of BAG_COLOURS) add('bags', `${bz} ${colz}`, `${be} ${cole}`, 10);
  }
  return skus;
}
